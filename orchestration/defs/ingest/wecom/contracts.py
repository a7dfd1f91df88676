"""Contracts of the WeCom extracts (field names as in the WeCom server API)."""

from orchestration.lib import normalise
from orchestration.lib.contracts import Derived, EntityContract, Field

EXTERNAL_CONTACTS = EntityContract(
    source="wecom",
    entity="external_contacts",
    description=(
        "WeCom external contacts from externalcontact/batch/get_by_user pages: one row per "
        "(external contact, rep who added them)."
    ),
    fields=[
        Field("external_userid", required=True, header="external_contact.external_userid",
              description="per-corp id of the customer (wm…/wo…)"),
        Field("name", header="external_contact.name", description="WeChat display name"),
        Field("contact_type", "integer", header="external_contact.type", description="1 WeChat user, 2 WeCom user"),
        Field("gender", "integer", header="external_contact.gender", description="0 unknown, 1 male, 2 female"),
        Field("unionid", header="external_contact.unionid", description="cross-app WeChat id, when the corp has one"),
        Field("corp_name", header="external_contact.corp_name", description="the customer's company short name (WeCom users)"),
        Field("corp_full_name", header="external_contact.corp_full_name", description="the customer's company full name"),
        Field("position", header="external_contact.position", description="job title"),
        Field("avatar", header="external_contact.avatar", description="avatar URL"),
        Field("external_profile", "json", header="external_contact.external_profile", description="the contact's public profile fields"),
        Field("rep_userid", required=True, header="follow_info.userid", description="the rep who added the contact"),
        Field("remark", header="follow_info.remark", description="the rep's note name for the customer"),
        Field("description", header="follow_info.description", description="the rep's description"),
        Field("added_at", "epoch_s", required=True, header="follow_info.createtime",
              description="when the rep added the customer (epoch seconds) = a first inbound contact"),
        Field("tag_ids", "text_list", header="follow_info.tag_id", description="customer tags (ids of the corp tag catalogue)"),
        Field("remark_corp_name", header="follow_info.remark_corp_name", description="company typed by the rep"),
        Field("remark_mobiles", "text_list", header="follow_info.remark_mobiles",
              description="mobiles typed by the rep, free format"),
        Field("add_way", "integer", header="follow_info.add_way", description="1 QR code, 2 mobile search, 3 card share …"),
        Field("oper_userid", header="follow_info.oper_userid", description="who performed the add"),
        Field("state", header="follow_info.state", description="contact-way label = acquisition channel"),
    ],
    derived=[
        Derived("remark_mobiles_e164", "text_list",
                lambda r: [m for m in map(normalise.mobile_e164, r["remark_mobiles"] or []) if m],
                "remark_mobiles that are valid mobiles, in E.164"),
        Derived("corp_name_norm", "text",
                lambda r: normalise.company_name(r["corp_full_name"] or r["remark_corp_name"]),
                "company-name matching key"),
    ],
)

MESSAGES = EntityContract(
    source="wecom",
    entity="messages",
    description="WeCom chat-archive messages (decrypted JSON lines), one row per message event.",
    fields=[
        Field("msgid", required=True, description="message id"),
        Field("action", required=True, description="send / recall / switch"),
        Field("from_id", required=True, header="from", description="rep userid or external_userid"),
        Field("tolist", "text_list", description="receivers: rep userids or external_userids"),
        Field("roomid", description="empty for one-to-one chats"),
        Field("sent_at", "epoch_ms", required=True, header="msgtime", description="epoch milliseconds"),
        Field("msgtype", description="text, image, file, voice, revoke …"),
        Field("text_content", header="text.content", description="text of a text message"),
        Field("revoked_msgid", header="revoke.pre_msgid", description="the message a recall revokes"),
        Field("image_md5sum", header="image.md5sum", description="image messages: checksum of the archived file"),
        Field("image_filesize", "integer", header="image.filesize", description="image messages: bytes"),
        Field("image_sdkfileid", header="image.sdkfileid", description="image messages: id to fetch the media"),
    ],
    derived=[
        Derived("text_mobiles", "text_list", lambda r: normalise.mobiles_in_text(r["text_content"]),
                "mobiles written in the message, in E.164"),
        Derived("text_emails", "text_list", lambda r: normalise.emails_in_text(r["text_content"]),
                "e-mail addresses written in the message, normalised"),
    ],
)
