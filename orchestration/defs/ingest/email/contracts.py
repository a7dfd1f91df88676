"""Contract of the email extract: the headers and parts the pipeline uses from each message."""

from orchestration.lib import normalise
from orchestration.lib.contracts import Derived, EntityContract, Field

MESSAGES = EntityContract(
    source="email",
    entity="messages",
    description="Email messages (one .eml file = one row), headers decoded, body as text.",
    fields=[
        Field("message_id", header="Message-ID", description="may be missing or repeated across mailboxes"),
        Field("sent_at", "timestamp", required=True, header="Date", description="the Date header; without a zone read as Asia/Shanghai"),
        Field("from_address", required=True, header="From", description="sender address"),
        Field("from_name", header="From-Name", description="sender display name, encoded words decoded"),
        Field("to_addresses", "text_list", header="To", description="recipient addresses"),
        Field("cc_addresses", "text_list", header="Cc", description="copied addresses"),
        Field("subject", header="Subject", description="encoded words decoded"),
        Field("in_reply_to", header="In-Reply-To", description="Message-ID this one answers (threading)"),
        Field("references", "text_list", header="References", description="Message-IDs of the thread so far"),
        Field("body_text", header="Body", description="text/plain part, else text of the HTML part"),
        Field("attachments", "json", header="Attachments",
              description="name, type and size of each attachment; one whose transfer encoding is corrupt "
                          "has its encoded size and an error"),
    ],
    derived=[
        Derived("from_email", "text", lambda r: normalise.email_address(r["from_address"])),
        Derived("to_emails", "text_list",
                lambda r: [e for e in map(normalise.email_address, (r["to_addresses"] or []) + (r["cc_addresses"] or [])) if e],
                "To and Cc addresses, normalised"),
        Derived("body_mobiles", "text_list", lambda r: normalise.mobiles_in_text(r["body_text"]),
                "mobiles written in the body (signatures), in E.164"),
    ],
)
