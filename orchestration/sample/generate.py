"""Deterministic sample deliveries for all four sources, in the formats the systems export.

``generate(out_dir, customers=300, seed=7)`` writes one delivery per source, dated the day after
the simulated window, under ``out_dir/<source>/<YYYY-MM-DD>/``:

* ``crm``: Salesforce Data Loader CSVs ``Lead.csv``, ``Opportunity.csv``,
  ``OpportunityHistory.csv``, ``Task.csv`` (API field names, UTC ISO timestamps);
* ``wecom``: ``externalcontact/batch/get_by_user`` response pages
  (``external_contacts_page_NNN.json``) and decrypted chat-archive JSON lines (``chat_messages.jsonl``);
* ``email``: one RFC 5322 ``.eml`` file per message, with encoded-word subjects
  (UTF-8 and GB2312), UTF-8 and GBK bodies, and threads via In-Reply-To/References;
* ``finance``: VAT e-invoice export ``invoices.csv`` (GBK, Chinese headers, incl. a red-letter
  reversal) and bank receipts ``bank_receipts.csv`` (UTF-8 with BOM, Chinese headers).

Behaviour behind the data: channels differ in lead quality, the funnel drops off stage by stage
(sometimes skipping a stage), one real customer shows up under different keys in several
systems (mobile typed in different formats, e-mail in other case, company name with full-width
brackets), some won customers buy again. A handful of deliberately broken rows (listed in
``DEFECTS``) exercise quarantine. Same seed → byte-identical files.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import random
import string
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from orchestration.lib.normalise import credit_code_check_char

SHANGHAI = ZoneInfo("Asia/Shanghai")
WINDOW_START = datetime(2025, 7, 1, tzinfo=SHANGHAI)
COMPANY_DOMAIN = "ourcompany.cn"

# Known broken rows the sample carries on purpose; each must end in quarantine.
DEFECTS = {
    ("crm", "leads"): 2,  # one unparseable CreatedDate, one empty Id
    ("finance", "invoices"): 1,  # 金额 "N/A"
    ("wecom", "messages"): 1,  # a truncated JSON line
}

# name, WeCom contact-way state, P(lead → intent), P(intent → proposal), P(→ negotiation), P(→ won)
CHANNELS = [
    ("Baidu Ads", "ad_baidu_2025q3", 0.30, 0.55, 0.60, 0.45),
    ("Website", "web_form", 0.40, 0.60, 0.65, 0.50),
    ("Trade Show", "expo_sh", 0.50, 0.65, 0.65, 0.55),
    ("Partner Referral", "referral", 0.65, 0.70, 0.75, 0.60),
    ("WeChat", "wecom_qr", 0.35, 0.55, 0.60, 0.50),
]
CHANNEL_WEIGHTS = [30, 25, 15, 10, 20]

# Salesforce stage names per canonical stage; alternatives model org-specific sales processes.
SF_STAGES = {
    "intent": ["Qualification", "Needs Analysis", "Prospecting"],
    "proposal": ["Proposal/Price Quote", "Value Proposition"],
    "negotiation": ["Negotiation/Review"],
    "won": ["Closed Won"],
    "lost": ["Closed Lost"],
}
STAGE_PROBABILITY = {"intent": 20, "proposal": 50, "negotiation": 75, "won": 100, "lost": 0}
OPEN_LEAD_STATUSES = ["Open - Not Contacted", "Working - Contacted", "Closed - Not Converted"]

REPS = [
    ("0055g00000AbC001", "zhangmin", "张敏"),
    ("0055g00000AbC002", "liqiang", "李强"),
    ("0055g00000AbC003", "wangfang", "王芳"),
    ("0055g00000AbC004", "chenjie", "陈杰"),
    ("0055g00000AbC005", "liuyang", "刘洋"),
    ("0055g00000AbC006", "zhaolei", "赵磊"),
]
MOBILE_PREFIXES = ["135", "136", "137", "138", "139", "150", "151", "158", "159", "182", "186", "187", "188"]
SURNAMES = [("张", "zhang"), ("王", "wang"), ("李", "li"), ("刘", "liu"), ("陈", "chen"),
            ("杨", "yang"), ("赵", "zhao"), ("黄", "huang"), ("周", "zhou"), ("吴", "wu")]
GIVEN = ["伟", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "建华", "晓东"]
CITIES = ["北京", "上海", "深圳", "杭州", "成都", "苏州", "南京", "武汉"]
CORES = ["华通", "恒信", "瑞达", "新元", "博远", "天成", "联创", "中科", "金桥", "安泰", "宏图", "智联"]
TRADES = ["信息科技", "智能制造", "医疗器械", "新材料", "物流", "电子商务", "教育科技", "环保工程"]
SUFFIXES = ["有限公司", "股份有限公司", "有限责任公司"]
PRODUCTS = ["标准版", "专业版", "企业版"]
INBOUND_TEXTS = ["你好，想了解一下你们的产品", "价格能再优惠一些吗？", "我们在对比几家供应商",
                 "方案收到了，内部在讨论", "合同什么时候可以发过来？", "好的，谢谢"]
OUTBOUND_TEXTS = ["您好，我是您的客户经理，很高兴为您服务", "给您发一份产品方案，请查收",
                  "报价单已发送，有问题随时联系", "请问下周方便安排一次演示吗？", "合同已发送，请查收"]

_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass
class Customer:
    index: int
    company: str
    credit_code: str
    contact: str
    surname_latin: str
    mobile: str
    email: str
    channel: tuple
    owner: tuple
    created_at: datetime
    has_lead: bool
    in_wecom: bool
    in_email: bool
    reached: list[str] = field(default_factory=list)  # canonical stages entered after `lead`


def _credit_code(rng: random.Random) -> str:
    first17 = "91" + "".join(rng.choice("0123456789") for _ in range(6)) + "".join(
        rng.choice(_CREDIT_ALPHABET) for _ in range(9)
    )
    return first17 + credit_code_check_char(first17)


def _mobile_variant(rng: random.Random, mobile: str) -> str:
    """The same mobile as a person or a form might type it."""
    choice = rng.randrange(6)
    if choice == 0:
        return f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"
    if choice == 1:
        return f"+86 {mobile}"
    if choice == 2:
        return f"+86-{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"
    if choice == 3:
        return mobile.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return mobile


def _company_variant(rng: random.Random, company: str) -> str:
    """Finance clerks and reps type names differently: full-width brackets, spaces."""
    if "(" in company and rng.random() < 0.5:
        return company.replace("(", "（").replace(")", "）")
    if rng.random() < 0.15:
        return company + " "
    return company


def _sf_id(prefix: str, n: int) -> str:
    return f"{prefix}5g00000{n:08d}"


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _make_customers(rng: random.Random, count: int, days: int) -> list[Customer]:
    customers = []
    for i in range(count):
        surname, latin = rng.choice(SURNAMES)
        city = rng.choice(CITIES)
        # Unique per customer, so two real customers never share a normalised company name.
        core = CORES[i % 12] + CORES[(i // 12) % 12] + (CORES[(i // 144) % 12] if i >= 144 else "")
        if rng.random() < 0.25:
            company = f"{core}{rng.choice(TRADES)}({city}){rng.choice(SUFFIXES)}"
        else:
            company = f"{city}{core}{rng.choice(TRADES)}{rng.choice(SUFFIXES)}"
        created = WINDOW_START + timedelta(seconds=rng.randrange(days * 86400 - 86400 * 10))
        has_lead = rng.random() < 0.9
        customers.append(
            Customer(
                index=i,
                company=company,
                credit_code=_credit_code(rng),
                contact=surname + rng.choice(GIVEN),
                surname_latin=latin,
                mobile=rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}",
                email=f"{latin}.{i:04d}@corp{i:04d}.com.cn",
                channel=rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0],
                owner=rng.choice(REPS),
                created_at=created,
                has_lead=has_lead,
                in_wecom=(not has_lead) or rng.random() < 0.5,
                in_email=rng.random() < 0.4,
            )
        )
    return customers


def _funnel_path(rng: random.Random, channel: tuple) -> list[str]:
    """Canonical stages entered after `lead`, ending in won, lost or an open stage."""
    path: list[str] = []
    probabilities = dict(zip(["intent", "proposal", "negotiation", "won"], channel[2:]))
    for stage in ["intent", "proposal", "negotiation", "won"]:
        if rng.random() >= probabilities[stage]:
            if path and rng.random() < 0.7:
                path.append("lost")
            return path
        # Deals sometimes jump a stage (e.g. a quote sent in the first meeting).
        if stage in {"proposal", "negotiation"} and rng.random() < 0.1:
            continue
        path.append(stage)
    return path


def _csv_text(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@dataclass
class _Crm:
    leads: list[list] = field(default_factory=list)
    opportunities: list[list] = field(default_factory=list)
    history: list[list] = field(default_factory=list)
    tasks: list[list] = field(default_factory=list)
    won: list[tuple[Customer, datetime, Decimal]] = field(default_factory=list)
    opp_seq: int = 0
    hist_seq: int = 0


def _add_opportunity(rng: random.Random, crm: _Crm, customer: Customer, account: str,
                     created: datetime, stages: list[str], lead_source: str, as_of: datetime) -> str:
    """One opportunity and its stage history; history after ``as_of`` has not happened yet."""
    crm.opp_seq += 1
    opp_id = _sf_id("006", crm.opp_seq)
    amount = Decimal(rng.choice([19800, 39800, 68000, 128000, 256000]))
    moment = created
    steps = []  # (canonical stage, Salesforce stage name); a canonical stage may span two names
    for stage in stages:
        names = SF_STAGES[stage]
        steps += [(stage, n) for n in rng.sample(names, k=2 if len(names) > 1 and rng.random() < 0.2 else 1)]
    last_stage, last_name = steps[0]
    for stage, name in steps:
        if moment >= as_of:
            break
        crm.hist_seq += 1
        crm.history.append([_sf_id("008", crm.hist_seq), opp_id, name, str(amount),
                            STAGE_PROBABILITY[stage], (moment + timedelta(days=30)).date().isoformat(),
                            _iso_utc(moment), customer.owner[0]])
        last_stage, last_name = stage, name
        moment += timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
    closed = last_stage in {"won", "lost"}
    crm.opportunities.append([
        opp_id, account, f"{customer.company} - {rng.choice(PRODUCTS)}", last_name,
        str(amount), STAGE_PROBABILITY[last_stage], (moment.date() if closed else (moment + timedelta(days=30)).date()).isoformat(),
        str(closed).lower(), str(last_stage == "won").lower(), lead_source, customer.owner[0],
        _iso_utc(created), _iso_utc(min(moment, as_of)),
    ])
    if last_stage == "won":
        crm.won.append((customer, moment, amount))
    return opp_id


def _build_crm(rng: random.Random, customers: list[Customer], as_of: datetime) -> _Crm:
    crm = _Crm()
    lead_seq = 0
    for c in customers:
        if not c.has_lead:
            continue
        lead_seq += 1
        lead_id = _sf_id("00Q", lead_seq)
        c.reached = _funnel_path(rng, c.channel)
        converted = bool(c.reached) and c.reached != ["lost"]
        account = _sf_id("001", c.index + 1)
        opp_id = ""
        converted_at = c.created_at + timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 12))
        if converted and converted_at < as_of:
            opp_id = _add_opportunity(rng, crm, c, account, converted_at, c.reached, c.channel[0], as_of)
            status = "Closed - Converted"
        else:
            converted = False
            status = "Closed - Not Converted" if c.reached else rng.choice(OPEN_LEAD_STATUSES)
        mobile = _mobile_variant(rng, c.mobile)
        crm.leads.append([
            lead_id, c.contact[1:], c.contact[0], c.company, c.email, "", mobile, c.channel[0], status,
            rng.choice(["Hot", "Warm", "Cold"]), c.owner[0], _iso_utc(c.created_at),
            converted_at.date().isoformat() if converted else "", account if converted else "",
            _sf_id("003", c.index + 1) if converted else "", opp_id, str(converted).lower(),
        ])
        if rng.random() < 0.06:  # the same person submits the web form again a few days later
            lead_seq += 1
            crm.leads.append([
                _sf_id("00Q", lead_seq), c.contact[1:], c.contact[0], _company_variant(rng, c.company),
                c.email.upper(), "", _mobile_variant(rng, c.mobile), c.channel[0], "Closed - Not Converted",
                "Cold", c.owner[0], _iso_utc(c.created_at + timedelta(days=rng.randint(1, 5))),
                "", "", "", "", "false",
            ])
        touch = c.created_at
        for n in range(rng.randint(0, 4)):
            touch += timedelta(minutes=rng.choice([3, 20, 90, 600, 1800, 4000]) * (n + 1))
            if touch >= as_of:
                break
            kind = rng.choice(["Call", "Call", "Meeting"])
            crm.tasks.append([
                _sf_id("00T", len(crm.tasks) + 1), lead_id, opp_id, "电话沟通" if kind == "Call" else "上门拜访",
                touch.astimezone(SHANGHAI).date().isoformat(), kind, "Completed", _iso_utc(touch), c.owner[0],
            ])
    # Some won customers buy again: a new opportunity on the account, not from a lead.
    for customer, won_at, _ in list(crm.won):
        if rng.random() < 0.3:
            start = won_at + timedelta(days=rng.randint(20, 60))
            if start < as_of:
                _add_opportunity(rng, crm, customer, _sf_id("001", customer.index + 1), start,
                                 ["intent", "proposal", "won"], "Existing Customer", as_of)
    # Deliberate defects: an unparseable CreatedDate and an empty Id.
    bad_date = list(crm.leads[0])
    bad_date[0], bad_date[11] = _sf_id("00Q", lead_seq + 1), "not-a-date"
    no_id = list(crm.leads[1])
    no_id[0] = ""
    crm.leads += [bad_date, no_id]
    return crm


LEAD_HEADER = ["Id", "FirstName", "LastName", "Company", "Email", "Phone", "MobilePhone", "LeadSource",
               "Status", "Rating", "OwnerId", "CreatedDate", "ConvertedDate", "ConvertedAccountId",
               "ConvertedContactId", "ConvertedOpportunityId", "IsConverted"]
OPPORTUNITY_HEADER = ["Id", "AccountId", "Name", "StageName", "Amount", "Probability", "CloseDate",
                      "IsClosed", "IsWon", "LeadSource", "OwnerId", "CreatedDate", "LastModifiedDate"]
HISTORY_HEADER = ["Id", "OpportunityId", "StageName", "Amount", "Probability", "CloseDate",
                  "CreatedDate", "CreatedById"]
TASK_HEADER = ["Id", "WhoId", "WhatId", "Subject", "ActivityDate", "Type", "Status", "CreatedDate", "OwnerId"]


def _random_id(rng: random.Random, prefix: str, length: int) -> str:
    return prefix + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))


def _build_wecom(rng: random.Random, customers: list[Customer], as_of: datetime) -> tuple[list[dict], list[str]]:
    items: list[dict] = []
    messages: list[str] = []
    for c in customers:
        if not c.in_wecom:
            continue
        external_userid = _random_id(rng, "wm", 24)
        contact = {
            "external_userid": external_userid,
            "name": rng.choice([c.contact, f"{c.surname_latin.title()}", f"小{c.contact[-1]}", "🌟" + c.contact]),
            "type": 1,
            "gender": rng.choice([0, 1, 2]),
            "avatar": f"https://wework.qpic.cn/wwhead/{external_userid}/0",
        }
        if rng.random() < 0.6:
            contact["unionid"] = _random_id(rng, "o", 27)
        if rng.random() < 0.5:
            contact["corp_name"] = c.company[:6]
            contact["corp_full_name"] = _company_variant(rng, c.company)
        added = c.created_at + timedelta(minutes=rng.randint(-600, 600))
        reps = [c.owner] + ([rng.choice([r for r in REPS if r != c.owner])] if rng.random() < 0.1 else [])
        for rep in reps:
            items.append({
                "external_contact": contact,
                "follow_info": {
                    "userid": rep[1],
                    "remark": f"{c.contact}-{c.company[:4]}",
                    "description": "",
                    "createtime": int(added.timestamp()),
                    "tag_id": [],
                    "remark_corp_name": c.company if rng.random() < 0.5 else "",
                    "remark_mobiles": [_mobile_variant(rng, c.mobile)] if rng.random() < 0.7 else [],
                    "add_way": rng.choice([1, 2, 3]),
                    "oper_userid": rep[1],
                    "state": c.channel[1],
                },
            })
        moment = added
        for n in range(rng.randint(1, 8)):
            moment += timedelta(minutes=rng.randint(1, 3000))
            if moment >= as_of:
                break
            inbound = n % 2 == 0
            msg = {
                "msgid": _random_id(rng, "", 20) + "_" + str(int(moment.timestamp())),
                "action": "send",
                "from": external_userid if inbound else c.owner[1],
                "tolist": [c.owner[1]] if inbound else [external_userid],
                "roomid": "",
                "msgtime": int(moment.timestamp() * 1000) + rng.randrange(1000),
                "msgtype": "text",
                "text": {"content": rng.choice(INBOUND_TEXTS if inbound else OUTBOUND_TEXTS)},
            }
            messages.append(json.dumps(msg, ensure_ascii=False))
    messages.insert(len(messages) // 2, messages[0][: len(messages[0]) // 2])  # truncated line
    return items, messages


def _encoded_word(text: str, charset: str) -> str:
    return f"=?{charset.upper()}?B?{base64.b64encode(text.encode(charset)).decode('ascii')}?="


def _eml(headers: list[tuple[str, str]], body: str, charset: str) -> bytes:
    lines = [f"{name}: {value}" for name, value in headers]
    lines += ["MIME-Version: 1.0", f'Content-Type: text/plain; charset="{charset}"',
              "Content-Transfer-Encoding: base64", ""]
    encoded = base64.encodebytes(body.encode("gb18030" if charset == "gbk" else charset)).decode("ascii")
    return ("\r\n".join(lines) + "\r\n" + encoded).encode("ascii")


def _build_email(rng: random.Random, customers: list[Customer], as_of: datetime) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for c in customers:
        if not c.in_email:
            continue
        rep_address = f"{c.owner[1]}@{COMPANY_DOMAIN}"
        customer_address = c.email if rng.random() < 0.8 else c.email.title()
        moment = c.created_at + timedelta(hours=rng.randint(-24, 48))
        subject = rng.choice(["咨询：产品报价", "关于采购方案的问题", "合作意向"])
        previous: list[str] = []
        for n in range(rng.randint(1, 4)):
            if moment >= as_of:
                break
            inbound = n % 2 == 0
            message_id = f"<{c.index:04d}.{n}.{int(moment.timestamp())}@{'corp%04d.com.cn' % c.index if inbound else COMPANY_DOMAIN}>"
            charset = rng.choice(["utf-8", "gbk"]) if inbound else "utf-8"
            sender = (_encoded_word(c.contact, "utf-8") + f" <{customer_address}>") if inbound else (
                _encoded_word(c.owner[2], "utf-8") + f" <{rep_address}>")
            headers = [
                ("Message-ID", message_id),
                ("Date", moment.strftime("%a, %d %b %Y %H:%M:%S +0800")),
                ("From", sender),
                ("To", rep_address if inbound else customer_address),
                ("Subject", _encoded_word(("" if n == 0 else "回复：") + subject, "gb2312" if n == 0 else "utf-8")),
            ]
            if previous:
                headers += [("In-Reply-To", previous[-1]), ("References", " ".join(previous))]
            body = rng.choice(INBOUND_TEXTS if inbound else OUTBOUND_TEXTS) + f"\n\n{c.contact if inbound else c.owner[2]}"
            files[f"msg_{c.index:04d}_{n}.eml"] = _eml(headers, body, charset)
            previous.append(message_id)
            moment += timedelta(hours=rng.randint(1, 72))
    return files


INVOICE_HEADER = ["发票代码", "发票号码", "开票日期", "销方识别号", "销方名称", "购方识别号", "购买方名称",
                  "货物或应税劳务名称", "金额", "税率", "税额", "价税合计", "发票票种", "发票状态",
                  "是否正数发票", "开票人", "备注"]
BANK_HEADER = ["交易时间", "交易流水号", "对方户名", "对方账号", "对方开户行", "收入金额", "支出金额", "余额", "摘要"]
SELLER_CODE = "91310000MA1FL0Q91X"


def _build_finance(rng: random.Random, crm: _Crm, as_of: datetime) -> tuple[list[list], list[list]]:
    invoices: list[list] = []
    receipts: list[list] = []
    balance = Decimal("1000000.00")
    for n, (customer, won_at, amount) in enumerate(crm.won, start=1):
        issued = won_at + timedelta(days=rng.randint(1, 10))
        if issued >= as_of:
            continue
        net = (amount / Decimal("1.06")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        tax = amount - net
        number = f"2531{issued:%y%m%d}{n:010d}"
        buyer = _company_variant(rng, customer.company)
        invoices.append(["", number, issued.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"), SELLER_CODE,
                         "上海示例软件有限公司", customer.credit_code, buyer, "*信息技术服务*软件服务费",
                         _money(net), "6%", _money(tax), _money(amount), "数电票（增值税专用发票）",
                         "正常", "是", "王会计", ""])
        if rng.random() < 0.04:  # re-issued after a red-letter reversal
            invoices[-1][13] = "已红冲"
            invoices.append(["", f"2531{issued:%y%m%d}9{n:09d}", (issued + timedelta(days=2)).astimezone(SHANGHAI)
                             .strftime("%Y-%m-%d %H:%M:%S"), SELLER_CODE, "上海示例软件有限公司", customer.credit_code,
                             buyer, "*信息技术服务*软件服务费", "-" + _money(net), "6%", "-" + _money(tax),
                             "-" + _money(amount), "数电票（增值税专用发票）", "正常", "否", "王会计",
                             f"被红冲蓝字数电发票号码：{number}"])
        paid = issued + timedelta(days=rng.randint(0, 20))
        if paid < as_of:
            balance += amount
            receipts.append([paid.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"), f"BR{paid:%Y%m%d}{n:06d}",
                             _company_variant(rng, customer.company), f"6222{customer.index:012d}",
                             "招商银行上海分行", _money(amount), "", _money(balance), f"货款 发票号{number}"])
    bad = list(invoices[0])
    bad[1], bad[8] = bad[1][:-3] + "999", "N/A"
    invoices.append(bad)
    return invoices, receipts


def generate(out_dir: Path, customers: int = 300, seed: int = 7, days: int = 184) -> dict[str, int]:
    """Write the sample deliveries; returns the number of files written per source."""
    rng = random.Random(seed)
    as_of = WINDOW_START + timedelta(days=days)
    delivery = as_of.date().isoformat()
    people = _make_customers(rng, customers, days)
    crm = _build_crm(rng, people, as_of)
    contacts, messages = _build_wecom(rng, people, as_of)
    mails = _build_email(rng, people, as_of)
    invoices, receipts = _build_finance(rng, crm, as_of)

    written: dict[str, int] = {}

    def put(source: str, name: str, data: bytes) -> None:
        folder = out_dir / source / delivery
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        written[source] = written.get(source, 0) + 1

    put("crm", "Lead.csv", _csv_text(LEAD_HEADER, crm.leads).encode("utf-8"))
    put("crm", "Opportunity.csv", _csv_text(OPPORTUNITY_HEADER, crm.opportunities).encode("utf-8"))
    put("crm", "OpportunityHistory.csv", _csv_text(HISTORY_HEADER, crm.history).encode("utf-8"))
    put("crm", "Task.csv", _csv_text(TASK_HEADER, crm.tasks).encode("utf-8"))
    for page, start in enumerate(range(0, len(contacts), 100), start=1):
        chunk = contacts[start:start + 100]
        more = start + 100 < len(contacts)
        body = {"errcode": 0, "errmsg": "ok", "external_contact_list": chunk,
                "next_cursor": f"cursor{page:03d}" if more else ""}
        put("wecom", f"external_contacts_page_{page:03d}.json",
            json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8"))
    put("wecom", "chat_messages.jsonl", ("\n".join(messages) + "\n").encode("utf-8"))
    for name, data in sorted(mails.items()):
        put("email", name, data)
    put("finance", "invoices.csv", _csv_text(INVOICE_HEADER, invoices).encode("gb18030"))
    put("finance", "bank_receipts.csv", _csv_text(BANK_HEADER, receipts).encode("utf-8-sig"))
    return written
