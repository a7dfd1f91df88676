"""A hand-built landing zone: twelve leads (and three contacts without one) whose whole history
is written out below, delivered as the four systems export it (Salesforce CSVs, WeCom contact
pages and chat archive, .eml mail, finance CSVs), one folder per delivery day. Every KPI of the
catalogue is worked out by hand from this story in test_kpi_catalogue_tiny.py.

Times are Asia/Shanghai wall-clock unless they end in Z. The story, per customer:

C1  张伟  L01 Website, Hot, zhangmin, 07-01 10:00; called 10:03; converted 07-03 → O01 10,000:
          intent 07-03, proposal 07-10 (quote mailed 07-09), negotiation 07-20, contract call
          07-24, won 07-25; invoiced 07-26, paid 07-28; revisit call 08-01. Repeat order O13
          5,000 (no lead): intent 08-20, proposal 08-25, won 09-05; invoiced 09-06, paid 09-08.
C2  王芳  L02 Website, Warm, zhangmin, created 07-02 00:30 (07-01 16:30Z); called 01:30;
          converted 07-04 → O02 8,000: intent 07-04, proposal 07-14, lost 07-24.
C3  李强  L03 Baidu Ads, Cold, liqiang, 07-05 09:00; called 12:00 and again 09-30 10:00 (the
          last activity in the data); open.
C4  赵敏  L04 Baidu Ads, Hot, liqiang, 07-06 10:00, no e-mail; called 10:30; converted 07-08 →
          O04 20,000: intent 07-08, negotiation 07-18 (proposal skipped, no quote), won 08-02
          (no contract); invoiced 08-03; paid half 08-05 and half 09-01 00:30 (08-31 16:30Z);
          revisit calls 08-12 23:30 (15:30Z) and 09-05 00:30 (09-04 16:30Z).
C5  陈杰  L05 Partner Referral, Warm, liqiang, 07-10 11:00; called 11:20; dropped 07-15,
          worked again 07-20, converted 08-01 → O05 15,000: intent 08-01, open.
C6  刘洋  L06 WeChat, Cold, zhangmin, created 08-01 00:30 (07-31 16:30Z); added on WeCom 08-01
          09:00; welcome auto-reply 09:01, first genuine chat 09:10, customer replied 20:00.
C7  孙丽  L07 Website, Hot, zhangmin, 08-05 10:00; called 10:10; converted 08-06 → O07 12,000:
          intent 08-06, proposal 08-09, lost 08-19, re-opened in proposal 08-29, negotiation
          09-08 (no quote), open.
C8  周静  L08 Baidu Ads, Warm, liqiang, 08-10 10:00, neither mobile nor e-mail; never touched.
C9  吴刚  L09 Partner Referral, Hot, zhangmin, 08-15 10:00; called 10:02; converted 08-16 →
          O09 30,000: intent 08-16, proposal 08-21, quote call 08-25, negotiation 08-31,
          contract call 09-08, won 09-10; invoiced 09-11 at a 2,000 discount (28,000), paid 09-15.
C10 郑红  L10 Website, Cold, liqiang, 09-01 10:00; mailed 13:00; the customer answered 09-02 10:00.
C11 冯军  L11 WeChat, Warm, zhangmin, 09-05 10:00; added on WeCom 11:00; called 12:00; chat
          09-06 10:00 (no reply); dropped 09-12.
C12 何平  L12 Website, Hot, liqiang, 09-10 10:00; called 10:04; converted 09-11 → O12 9,000:
          intent 09-11, open.
C13 钱多多 WeCom only (Trade Show QR), added by liqiang 07-03 14:00; wrote 14:05; answered 14:30;
          wrote again 07-07 15:00.
C14 mail only: c14@unknown.cn wrote to zhangmin 08-20 09:00.

Marketing spend: 07-01 官网表单 100, 百度推广 200; 08-01 官网表单 50; 09-01 客户转介绍 30.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from email.header import Header
from email.mime.text import MIMEText
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
REPS = {"zhangmin": "0055g00000AbC001", "liqiang": "0055g00000AbC002"}

LEAD_HEADER = ("Id", "FirstName", "LastName", "Company", "Email", "Phone", "MobilePhone", "LeadSource", "Status",
               "Rating", "OwnerId", "CreatedDate", "ConvertedDate", "ConvertedAccountId", "ConvertedContactId",
               "ConvertedOpportunityId", "IsConverted")
OPPORTUNITY_HEADER = ("Id", "AccountId", "Name", "StageName", "Amount", "Probability", "CloseDate", "IsClosed",
                      "IsWon", "LeadSource", "OwnerId", "CreatedDate", "LastModifiedDate")
HISTORY_HEADER = ("Id", "OpportunityId", "StageName", "Amount", "Probability", "CloseDate", "CreatedDate",
                  "CreatedById")
TASK_HEADER = ("Id", "WhoId", "WhatId", "Subject", "ActivityDate", "Type", "Status", "CreatedDate", "OwnerId")
INVOICE_HEADER = ("发票代码", "发票号码", "开票日期", "销方识别号", "销方名称", "购方识别号", "购买方名称",
                  "货物或应税劳务名称", "金额", "税率", "税额", "价税合计", "发票票种", "发票状态", "是否正数发票", "开票人",
                  "备注")
RECEIPT_HEADER = ("交易时间", "交易流水号", "对方户名", "对方账号", "对方开户行", "收入金额", "支出金额", "余额", "摘要")
SPEND_HEADER = ("日期", "渠道", "花费", "展现", "点击")


def at(text: str) -> datetime:
    """'MM-DD HH:MM' in 2025, Shanghai wall-clock time."""
    return datetime.strptime(f"2025-{text}", "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)


def sf(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


# lead id, first name, last name, company, e-mail, mobile, source, rating, owner, created,
# status versions (day, status[, opportunity, account]).
LEADS = [
    ("00Q000000000001", "伟", "张", "甲科技有限公司", "c1@jia.cn", "13900000001", "Website", "Hot", "zhangmin",
     "07-01 10:00", [("07-01", "Working - Contacted"), ("07-03", "Closed - Converted", "006000000000001", "001000000000001")]),
    ("00Q000000000002", "芳", "王", "乙贸易有限公司", "c2@yi.cn", "13900000002", "Website", "Warm", "zhangmin",
     "07-02 00:30", [("07-02", "Open - Not Contacted"), ("07-04", "Closed - Converted", "006000000000002", "001000000000002")]),
    ("00Q000000000003", "强", "李", "丙制造有限公司", "c3@bing.cn", "13900000003", "Baidu Ads", "Cold", "liqiang",
     "07-05 09:00", [("07-05", "Working - Contacted")]),
    ("00Q000000000004", "敏", "赵", "丁咨询有限公司", "", "13900000004", "Baidu Ads", "Hot", "liqiang",
     "07-06 10:00", [("07-06", "Open - Not Contacted"), ("07-08", "Closed - Converted", "006000000000004", "001000000000004")]),
    ("00Q000000000005", "杰", "陈", "戊网络有限公司", "c5@wu.cn", "13900000005", "Partner Referral", "Warm", "liqiang",
     "07-10 11:00", [("07-10", "Working - Contacted"), ("07-15", "Closed - Not Converted"), ("07-20", "Working - Contacted"),
                     ("08-01", "Closed - Converted", "006000000000005", "001000000000005")]),
    ("00Q000000000006", "洋", "刘", "己传媒有限公司", "c6@ji.cn", "13900000006", "WeChat", "Cold", "zhangmin",
     "08-01 00:30", [("08-01", "Open - Not Contacted")]),
    ("00Q000000000007", "丽", "孙", "庚物流有限公司", "c7@geng.cn", "13900000007", "Website", "Hot", "zhangmin",
     "08-05 10:00", [("08-05", "Working - Contacted"), ("08-06", "Closed - Converted", "006000000000007", "001000000000007")]),
    ("00Q000000000008", "静", "周", "辛食品有限公司", "", "", "Baidu Ads", "Warm", "liqiang",
     "08-10 10:00", [("08-10", "Open - Not Contacted")]),
    ("00Q000000000009", "刚", "吴", "壬医疗有限公司", "c9@ren.cn", "13900000009", "Partner Referral", "Hot", "zhangmin",
     "08-15 10:00", [("08-15", "Working - Contacted"), ("08-16", "Closed - Converted", "006000000000009", "001000000000009")]),
    ("00Q000000000010", "红", "郑", "癸教育有限公司", "c10@gui.cn", "13900000010", "Website", "Cold", "liqiang",
     "09-01 10:00", [("09-01", "Working - Contacted")]),
    ("00Q000000000011", "军", "冯", "子能源有限公司", "c11@zi.cn", "13900000011", "WeChat", "Warm", "zhangmin",
     "09-05 10:00", [("09-05", "Working - Contacted"), ("09-12", "Closed - Not Converted")]),
    ("00Q000000000012", "平", "何", "丑材料有限公司", "c12@chou.cn", "13900000012", "Website", "Hot", "liqiang",
     "09-10 10:00", [("09-10", "Working - Contacted"), ("09-11", "Closed - Converted", "006000000000012", "001000000000012")]),
]

# opportunity, account, company, amount, source, owner, [(when, Salesforce stage, close date)]
OPPORTUNITIES = [
    ("006000000000001", "001000000000001", "甲科技有限公司", 10000, "Website", "zhangmin",
     [("07-03 10:00", "Qualification", "2025-07-31"), ("07-10 10:00", "Proposal/Price Quote", "2025-07-31"),
      ("07-20 10:00", "Negotiation/Review", "2025-07-31"), ("07-25 10:00", "Closed Won", "2025-07-25")]),
    ("006000000000002", "001000000000002", "乙贸易有限公司", 8000, "Website", "zhangmin",
     [("07-04 10:00", "Needs Analysis", "2025-08-15"), ("07-14 10:00", "Value Proposition", "2025-08-15"),
      ("07-24 10:00", "Closed Lost", "2025-07-24")]),
    ("006000000000004", "001000000000004", "丁咨询有限公司", 20000, "Baidu Ads", "liqiang",
     [("07-08 10:00", "Qualification", "2025-08-10"), ("07-18 10:00", "Negotiation/Review", "2025-08-10"),
      ("08-02 10:00", "Closed Won", "2025-08-02")]),
    ("006000000000005", "001000000000005", "戊网络有限公司", 15000, "Partner Referral", "liqiang",
     [("08-01 10:00", "Prospecting", "2025-09-30")]),
    ("006000000000007", "001000000000007", "庚物流有限公司", 12000, "Website", "zhangmin",
     [("08-06 10:00", "Qualification", "2025-09-15"), ("08-09 10:00", "Proposal/Price Quote", "2025-09-15"),
      ("08-19 10:00", "Closed Lost", "2025-08-19"), ("08-29 10:00", "Proposal/Price Quote", "2025-10-15"),
      ("09-08 10:00", "Negotiation/Review", "2025-10-15")]),
    ("006000000000009", "001000000000009", "壬医疗有限公司", 30000, "Partner Referral", "zhangmin",
     [("08-16 10:00", "Qualification", "2025-09-10"), ("08-21 10:00", "Proposal/Price Quote", "2025-09-10"),
      ("08-31 10:00", "Negotiation/Review", "2025-09-10"), ("09-10 10:00", "Closed Won", "2025-09-10")]),
    ("006000000000012", "001000000000012", "丑材料有限公司", 9000, "Website", "liqiang",
     [("09-11 10:00", "Qualification", "2025-10-31")]),
    ("006000000000013", "001000000000001", "甲科技有限公司", 5000, "Existing Customer", "zhangmin",
     [("08-20 10:00", "Qualification", "2025-09-05"), ("08-25 10:00", "Proposal/Price Quote", "2025-09-05"),
      ("09-05 10:00", "Closed Won", "2025-09-05")]),
]
PROBABILITY = {"Qualification": 20, "Needs Analysis": 20, "Prospecting": 20, "Value Proposition": 50,
               "Proposal/Price Quote": 50, "Negotiation/Review": 75, "Closed Won": 100, "Closed Lost": 0}

# lead, when, subject, owner — CRM calls (outbound touches).
TASKS = [
    ("00Q000000000001", "07-01 10:03", "电话沟通 首次电话沟通", "zhangmin"),
    ("00Q000000000002", "07-02 01:30", "电话沟通 首次电话沟通", "zhangmin"),
    ("00Q000000000003", "07-05 12:00", "电话沟通 首次电话沟通", "liqiang"),
    ("00Q000000000004", "07-06 10:30", "电话沟通 首次电话沟通", "liqiang"),
    ("00Q000000000005", "07-10 11:20", "电话沟通 首次电话沟通", "liqiang"),
    ("00Q000000000007", "08-05 10:10", "电话沟通 首次电话沟通", "zhangmin"),
    ("00Q000000000009", "08-15 10:02", "电话沟通 首次电话沟通", "zhangmin"),
    ("00Q000000000011", "09-05 12:00", "电话沟通 首次电话沟通", "zhangmin"),
    ("00Q000000000012", "09-10 10:04", "电话沟通 首次电话沟通", "liqiang"),
    ("00Q000000000001", "07-24 10:00", "电话沟通 合同确认", "zhangmin"),
    ("00Q000000000001", "08-01 10:00", "电话沟通 客户回访", "zhangmin"),
    ("00Q000000000004", "08-12 23:30", "电话沟通 客户回访", "liqiang"),
    ("00Q000000000004", "09-05 00:30", "电话沟通 客户回访", "liqiang"),
    ("00Q000000000009", "08-25 10:00", "电话沟通 报价方案", "zhangmin"),
    ("00Q000000000009", "09-08 10:00", "电话沟通 合同条款", "zhangmin"),
    ("00Q000000000003", "09-30 10:00", "电话沟通 跟进需求", "liqiang"),
]

# external_userid, name, rep, added, contact-way state, remark mobile
CONTACTS = [
    ("wm000000000000000000000000000006", "刘洋", "zhangmin", "08-01 09:00", "wecom_qr", "13900000006"),
    ("wm000000000000000000000000000011", "冯军", "zhangmin", "09-05 11:00", "wecom_qr", "13900000011"),
    ("wm000000000000000000000000000013", "钱多多", "liqiang", "07-03 14:00", "expo_sh", "13900000013"),
]
W6, W11, W13 = (contact[0] for contact in CONTACTS)

# sender, receiver, when, text
CHATS = [
    ("zhangmin", W6, "08-01 09:01", "感谢您的添加，稍后联系您"),
    ("zhangmin", W6, "08-01 09:10", "您好，我是您的客户经理，很高兴为您服务"),
    (W6, "zhangmin", "08-01 20:00", "好的，谢谢"),
    ("zhangmin", W11, "09-06 10:00", "请问下周方便安排一次演示吗？"),
    (W13, "liqiang", "07-03 14:05", "你好，想了解一下你们的产品"),
    ("liqiang", W13, "07-03 14:30", "您好，我是您的客户经理"),
    (W13, "liqiang", "07-07 15:00", "我们在对比几家供应商"),
]

# sender, recipient, when, subject, body
MAILS = [
    ("zhangmin@ourcompany.cn", "c1@jia.cn", "07-09 15:00", "报价单", "报价单已发送，有问题随时联系"),
    ("liqiang@ourcompany.cn", "c10@gui.cn", "09-01 13:00", "关于采购方案", "您好，给您发一份产品方案，请查收"),
    ("c10@gui.cn", "liqiang@ourcompany.cn", "09-02 10:00", "回复：关于采购方案", "方案收到了，内部在讨论"),
    ("c14@unknown.cn", "zhangmin@ourcompany.cn", "08-20 09:00", "合作意向", "你好，想了解一下你们的产品"),
]

# invoice number, issued, buyer, total
INVOICES = [
    ("25310726000000000001", "07-26 10:00", "甲科技有限公司", 10000),
    ("25310803000000000004", "08-03 10:00", "丁咨询有限公司", 20000),
    ("25310906000000000013", "09-06 10:00", "甲科技有限公司", 5000),
    ("25310911000000000009", "09-11 10:00", "壬医疗有限公司", 28000),
]
# transaction, when, payer, amount, invoice paid
RECEIPTS = [
    ("BR0001", "07-28 10:00", "甲科技有限公司", 10000, "25310726000000000001"),
    ("BR0002", "08-05 10:00", "丁咨询有限公司", 10000, "25310803000000000004"),
    ("BR0003", "09-01 00:30", "丁咨询有限公司", 10000, "25310803000000000004"),
    ("BR0004", "09-08 10:00", "甲科技有限公司", 5000, "25310906000000000013"),
    ("BR0005", "09-15 10:00", "壬医疗有限公司", 28000, "25310911000000000009"),
]
SPEND = [("2025-07-01", "官网表单", "100.00"), ("2025-07-01", "百度推广", "200.00"), ("2025-08-01", "官网表单", "50.00"),
         ("2025-09-01", "客户转介绍", "30.00")]


class Landing:
    """Collects rows per delivery file; a record made on day D is delivered in the folder D + 1."""

    def __init__(self) -> None:
        self.files: dict[Path, list] = defaultdict(list)

    def add(self, source: str, stem: str, ext: str, day: date, item) -> None:
        folder = (day + timedelta(days=1)).isoformat()
        self.files[Path(source) / folder / f"{stem}_{day:%Y%m%d}.{ext}"].append(item)


def _csv(header: tuple[str, ...], rows: list) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def _eml(sender: str, recipient: str, moment: datetime, subject: str, body: str, number: int) -> bytes:
    message = MIMEText(body, "plain", "utf-8")
    message["Message-ID"] = f"<tiny.{number}@{sender.split('@')[1]}>"
    message["Date"] = format_datetime(moment)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = Header(subject, "utf-8").encode()
    return message.as_bytes()


def write_landing(root: Path) -> Path:
    """Write the whole story under ``root`` (landing/<source>/<delivery date>/…); returns root."""
    landing = Landing()
    for (lead_id, first, last, company, email, mobile, source, rating, owner, created, versions) in LEADS:
        for day, status, *converted in versions:
            opportunity, account = converted or ("", "")
            landing.add("crm", "Lead", "csv", at(f"{day} 12:00").date(), [
                lead_id, first, last, company, email, "", mobile, source, status, rating, REPS[owner],
                sf(at(created)), f"2025-{day}" if converted else "", account, "", opportunity,
                "true" if converted else "false"])
    for number, (opportunity, account, company, amount, source, owner, moves) in enumerate(OPPORTUNITIES):
        for step, (when, stage, close) in enumerate(moves):
            landing.add("crm", "OpportunityHistory", "csv", at(when).date(), [
                f"008{number:06d}{step:06d}", opportunity, stage, f"{amount}.00", PROBABILITY[stage], close,
                sf(at(when)), REPS[owner]])
        last_when, last_stage, last_close = moves[-1]
        landing.add("crm", "Opportunity", "csv", at(last_when).date(), [
            opportunity, account, f"{company} - 标准版", last_stage, f"{amount}.00", PROBABILITY[last_stage], last_close,
            str(last_stage.startswith("Closed")).lower(), str(last_stage == "Closed Won").lower(), source,
            REPS[owner], sf(at(moves[0][0])), sf(at(last_when))])
    for number, (lead_id, when, subject, owner) in enumerate(TASKS):
        landing.add("crm", "Task", "csv", at(when).date(), [
            f"00T{number:012d}", lead_id, "", subject, at(when).date().isoformat(), "Call", "Completed", sf(at(when)),
            REPS[owner]])
    for external_userid, name, rep, added, state, mobile in CONTACTS:
        landing.add("wecom", "external_contacts", "jsonl", at(added).date(), {
            "external_contact": {"external_userid": external_userid, "name": name, "type": 1, "gender": 0},
            "follow_info": {"userid": rep, "remark": name, "description": "", "createtime": int(at(added).timestamp()),
                            "tag_id": [], "remark_corp_name": "", "remark_mobiles": [mobile], "add_way": 1,
                            "oper_userid": rep, "state": state}})
    for number, (sender, receiver, when, text) in enumerate(CHATS):
        moment = at(when)
        landing.add("wecom", "chat_messages", "jsonl", moment.date(), {
            "msgid": f"tinymsg{number:04d}_{int(moment.timestamp())}", "action": "send", "from": sender,
            "tolist": [receiver], "roomid": "", "msgtime": int(moment.timestamp()) * 1000, "msgtype": "text",
            "text": {"content": text}})
    for number, (invoice, issued, buyer, total) in enumerate(INVOICES):
        net = round(total / 1.06, 2)
        landing.add("finance", "invoices", "csv", at(issued).date(), [
            "", invoice, local(at(issued)), "91310000MA1FL0Q91X", "上海示例软件有限公司", "", buyer,
            "*信息技术服务*软件服务费", f"{net:.2f}", "6%", f"{total - net:.2f}", f"{total:.2f}", "数电票（增值税专用发票）",
            "正常", "是", "王会计", ""])
    for transaction, when, payer, amount, invoice in RECEIPTS:
        landing.add("finance", "bank_receipts", "csv", at(when).date(), [
            local(at(when)), transaction, payer, "6222000000000001", "招商银行上海分行", f"{amount:.2f}", "", "",
            f"货款 发票号{invoice}"])
    for day, channel, spend in SPEND:
        landing.add("finance", "marketing_spend", "csv", date.fromisoformat(day), [day, channel, spend, "1000", "10"])

    headers = {"Lead": LEAD_HEADER, "Opportunity": OPPORTUNITY_HEADER, "OpportunityHistory": HISTORY_HEADER,
               "Task": TASK_HEADER, "invoices": INVOICE_HEADER, "bank_receipts": RECEIPT_HEADER,
               "marketing_spend": SPEND_HEADER}
    base = root / "landing"
    for relative, items in landing.files.items():
        path = base / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if relative.suffix == ".csv":
            path.write_bytes(_csv(headers[relative.name.rsplit("_", 1)[0]], items))
        elif relative.name.startswith("external_contacts"):
            page = {"errcode": 0, "errmsg": "ok", "external_contact_list": items, "next_cursor": ""}
            path.write_text(json.dumps(page, ensure_ascii=False) + "\n", encoding="utf-8")
        else:
            path.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items), encoding="utf-8")
    for number, (sender, recipient, when, subject, body) in enumerate(MAILS):
        moment = at(when)
        folder = base / "email" / (moment.date() + timedelta(days=1)).isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"msg_tiny_{number:02d}.eml").write_bytes(_eml(sender, recipient, moment, subject, body, number))
    return root
