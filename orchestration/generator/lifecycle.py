"""One customer's life across the four systems, written as the systems would export it.

For each customer: a CRM lead (sometimes submitted twice), the rep's first response after that
rep's typical delay, conversion into an opportunity that moves stage by stage (drop-off per
channel, sometimes skipping a stage) until won, lost or still open at the end of the window;
calls and visits; a WeCom contact with a chat; an e-mail thread; for won deals an invoice
(sometimes reversed by a red-letter invoice), payments, follow-up touches at day 7/30/90 and
sometimes a repeat order. Defects are injected at the configured rates and each is written to
the ground truth with what the pipeline must do about it.
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from . import formats, mail
from .config import GeneratorConfig
from .people import Customer, company_typo, company_variant, mobile_variant, wecom_display_name
from .reference import (CHANNELS, CHINESE_STAGES, COMPANY_DOMAIN, EMAIL_SUBJECTS, FOLLOW_UP_TEXTS, FUNNEL, INBOUND_TEXTS,
                        JUNK_MOBILE, LEAD_STATUS, LOSS_REASONS, OUTBOUND_TEXTS, PRODUCTS, REPEAT_CHANNEL, REPS,
                        SALESFORCE_STAGES, SELLER_CREDIT_CODE, SELLER_NAME, STAGE_PROBABILITY, DEAL_SIZES, Rep)
from .sink import DeliverySink
from .truth import GroundTruth

SHANGHAI = ZoneInfo("Asia/Shanghai")
_ID_CHARS = string.ascii_letters + string.digits
FOLLOW_UP_CHECKPOINTS = ((7, 0.6), (30, 0.5), (90, 0.4))


def local_day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def sf_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def local_time(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def random_id(rng: random.Random, length: int) -> str:
    return "".join(rng.choices(_ID_CHARS, k=length))


@dataclass
class Deal:
    """An opportunity as it stands at the end of the window."""

    opportunity_id: str
    created_at: datetime
    amount: Decimal
    entered: list[tuple[str, datetime]] = field(default_factory=list)  # canonical stage, when

    @property
    def last_stage(self) -> str | None:
        return self.entered[-1][0] if self.entered else None

    @property
    def won_at(self) -> datetime | None:
        return self.entered[-1][1] if self.last_stage == "won" else None


class World:
    """Shared state of one generator run: settings, the sink, the ground truth."""

    def __init__(self, config: GeneratorConfig, sink: DeliverySink, truth: GroundTruth) -> None:
        self.config = config
        self.sink = sink
        self.truth = truth
        self.start = config.start_at
        self.as_of = config.as_of
        self.crm = config.crm
        self.exports = formats.CRM_EXPORTS[config.crm]

    def emit(self, export: formats.Export, when: datetime, record: Any) -> tuple[str, int]:
        day = local_day(when)
        return self.sink.add(export.source, day, export.stem_for(day), export.fmt(day), record)

    def emit_versions(self, export: formats.Export, versions: list[tuple[datetime, list]]) -> tuple[str, int] | None:
        """An incremental export carries a record once per day it changed, in its end-of-day state."""
        first = None
        by_day: dict[date, tuple[datetime, list]] = {}
        for when, row in versions:
            if self.start <= when < self.as_of:
                by_day[local_day(when)] = (when, row)
        for when, row in by_day.values():
            where = self.emit(export, when, row)
            first = first or where
        return first


class CustomerLife:
    """Generates everything one customer leaves behind; ``run`` is the entry point."""

    def __init__(self, world: World, customer: Customer) -> None:
        self.w = world
        self.c = customer
        self.r = customer.rng
        self.cfg = world.config
        self.deals: list[tuple[Deal, str | None]] = []  # (deal, lead id) — lead None for repeat orders
        self.task_seq = 0
        self.opp_seq = 0

    # -- helpers ---------------------------------------------------------------------------
    def chance(self, rate: float) -> bool:
        return self.r.random() < rate

    def record(self, record_id: str) -> None:
        self.w.truth.record(self.c.customer_id, record_id)

    def defect(self, kind: str, export: formats.Export, where: tuple[str, int] | None, record_id: str,
               expected: str = "load") -> None:
        if where is not None:
            self.w.truth.defect(kind, export.source, export.entity, where[0], where[1], record_id, expected)

    def bad_copy(self, export: formats.Export, when: datetime, row: list, kind: str, column: int, value: str,
                 reason: str) -> None:
        """Now and then, an extra corrupted copy of a row: the export glitch the pipeline must quarantine."""
        if not (self.start_ok(when) and self.chance(self.cfg.bad_row_rate)):
            return
        broken = list(row)
        if column >= 0:
            broken[column] = value
        else:
            broken.append(value)  # one value too many: a delimiter inside an unquoted field
        where = self.w.emit(export, when, broken)
        self.w.truth.defect(kind, export.source, export.entity, where[0], where[1], "", f"quarantine:{reason}")

    def start_ok(self, when: datetime) -> bool:
        return self.w.start <= when < self.w.as_of

    def response_delay(self, rep: Rep) -> timedelta:
        return timedelta(minutes=rep.median_response_minutes * self.r.lognormvariate(0, 0.8))

    def stage_names(self, stage: str) -> list[str]:
        names = (SALESFORCE_STAGES if self.w.crm == "salesforce" else CHINESE_STAGES)[stage]
        if len(names) > 1 and self.chance(0.2):
            return self.r.sample(names, k=2)
        return [self.r.choice(names)]

    def crm_id(self, kind: str, number: int) -> str:
        if self.w.crm == "salesforce":
            prefix = {"lead": "00Q", "opportunity": "006", "history": "008", "task": "00T", "account": "001",
                      "contact": "003"}[kind]
            return f"{prefix}5g{number:010d}"
        prefix = {"lead": "XS", "opportunity": "SJ", "history": "BG", "task": "GJ", "account": "KH", "contact": "LX"}[kind]
        return f"{prefix}{number:010d}"

    # -- the life ----------------------------------------------------------------------------
    def run(self) -> None:
        self.w.truth.customers += 1
        if self.c.has_lead:
            self.lead_journey()
        for deal, _ in list(self.deals):
            if deal.won_at and self.chance(0.3):
                self.repeat_order(deal)
        if self.c.in_wecom:
            self.wecom()
        if self.c.in_email:
            self.email()
        for number, (deal, _) in enumerate(self.deals):
            if deal.won_at:
                self.invoice_and_payments(deal, number)

    def funnel_path(self) -> list[str]:
        path: list[str] = []
        for stage, p in zip(FUNNEL, self.c.channel.advance):
            if not self.chance(p):
                if path and self.chance(0.7):
                    path.append("lost")
                return path
            if stage in {"proposal", "negotiation"} and self.chance(0.1):
                continue  # a quote in the first meeting: the stage is reached without a record of it
            path.append(stage)
        return path

    def lead_journey(self) -> None:
        c, w = self.c, self.w
        path = self.funnel_path()
        t0 = c.created_at
        lead_id = self.crm_id("lead", c.index * 4)
        responded = t0 + self.response_delay(c.rep)
        statuses: list[tuple[datetime, str]] = [(t0, "new"), (responded, "working")]
        deal = None
        converted_at = t0 + timedelta(days=self.r.randint(1, 10), hours=self.r.randint(0, 12))
        if path and converted_at < w.as_of:
            deal = self.opportunity(converted_at, path, (c.channel.name, c.channel.chinese), lead_id)
            statuses.append((converted_at, "converted"))
        elif not path and self.chance(0.6):
            statuses.append((responded + timedelta(days=self.r.randint(3, 20)), "dropped"))
        mobile = mobile_variant(self.r, c.mobile)
        company = company_variant(self.r, c.company)
        typo = self.chance(self.cfg.company_typo_rate)
        if typo:
            company = company_typo(self.r, c.company)
        junk = self.chance(self.cfg.junk_mobile_rate)
        if junk:
            mobile = JUNK_MOBILE
        where = self.emit_lead(lead_id, t0, statuses, mobile, company, c.email, deal)
        self.record(f"crm:lead:{lead_id}")
        self.journey(f"lead:{lead_id}", "lead", lead_id, deal, t0, c.channel.name, statuses)
        if mobile != c.mobile:
            self.defect("junk_mobile" if junk else "phone_format", w.exports["leads"], where, f"crm:lead:{lead_id}")
        if typo:
            self.defect("company_typo", w.exports["leads"], where, f"crm:lead:{lead_id}")
        self.tasks(lead_id, t0, responded, deal)
        if self.chance(self.cfg.duplicate_lead_rate):
            self.duplicate_lead(t0)

    def emit_lead(self, lead_id: str, created: datetime, statuses: list[tuple[datetime, str]], mobile: str,
                  company: str, email: str, deal: Deal | None) -> tuple[str, int] | None:
        c, export = self.c, self.w.exports["leads"]
        versions = []
        for when, status in sorted(statuses):
            label = LEAD_STATUS[self.w.crm][status]
            converted = status == "converted" and deal is not None
            if self.w.crm == "salesforce":
                row = [lead_id, c.given, c.surname, company, email, "", mobile, c.channel.name, label,
                       self.r.choice(("Hot", "Warm", "Cold")) if not versions else versions[-1][1][9], c.rep.salesforce_id,
                       sf_time(created), local_day(when).isoformat() if converted else "",
                       self.crm_id("account", c.index) if converted else "",
                       self.crm_id("contact", c.index) if converted else "",
                       deal.opportunity_id if converted else "", "true" if converted else "false"]
                date_column = 11
            else:
                row = [lead_id, company, c.contact, mobile, email, c.channel.chinese,
                       self.r.choice("ABC") if not versions else versions[-1][1][6], label, c.rep.name,
                       local_time(created), local_time(when) if converted else "",
                       deal.opportunity_id if converted else ""]
                date_column = 9
            versions.append((when, row))
        where = self.w.emit_versions(export, versions)
        if versions:
            when, row = versions[0]
            self.bad_copy(export, when, [lead_id + "X"] + row[1:], "bad_timestamp", date_column, "not-a-date",
                          "invalid_timestamp")
            self.bad_copy(export, when, row, "missing_id", 0, "", "missing_required")
        return where

    def duplicate_lead(self, t0: datetime) -> None:
        c = self.c
        lead_id = self.crm_id("lead", c.index * 4 + 1)
        created = t0 + timedelta(days=self.r.randint(1, 5), minutes=self.r.randint(0, 600))
        if created >= self.w.as_of:
            return
        statuses = [(created, "dropped")]
        where = self.emit_lead(lead_id, created, statuses, mobile_variant(self.r, c.mobile),
                               company_variant(self.r, c.company), c.email.upper(), None)
        self.record(f"crm:lead:{lead_id}")
        self.journey(f"lead:{lead_id}", "lead", lead_id, None, created, c.channel.name, statuses, duplicate=True)
        self.defect("duplicate_record", self.w.exports["leads"], where, f"crm:lead:{lead_id}")

    def journey(self, journey_id: str, journey_type: str, lead_id: str | None, deal: Deal | None,
                created: datetime, channel: str, statuses: list[tuple[datetime, str]], duplicate: bool = False) -> None:
        stages = ["lead"] if journey_type == "lead" else []
        outcome, outcome_at = "open", None
        if deal is not None:
            for stage, when in deal.entered:
                if stage not in stages:
                    stages.append(stage)
            if deal.last_stage in {"won", "lost"}:
                outcome, outcome_at = deal.last_stage, deal.entered[-1][1]
        else:
            dropped = [when for when, status in statuses if status == "dropped" and when < self.w.as_of]
            if dropped:
                outcome, outcome_at = "lost", dropped[0]
        reached = [s for s in stages if s != "lost"]
        self.w.truth.journey(
            journey_id=journey_id, journey_type=journey_type, customer_id=self.c.customer_id, crm_system=self.w.crm,
            lead_id=lead_id or "", opportunity_id=deal.opportunity_id if deal else "", channel=channel,
            created_at=sf_time(created), stages_entered="|".join(stages),
            furthest_stage=max(reached, key=["lead", *FUNNEL].index) if reached else "",
            outcome=outcome, outcome_at=sf_time(outcome_at) if outcome_at else "",
            amount=money(deal.amount) if deal else "", is_duplicate_lead="true" if duplicate else "false",
        )

    def opportunity(self, created: datetime, path: list[str], lead_source: tuple[str, str],
                    lead_id: str | None) -> Deal:
        """An opportunity and its stage history; ``lead_source`` is (Salesforce value, Chinese CRM value)."""
        c, w = self.c, self.w
        number = c.index * 8 + self.opp_seq
        self.opp_seq += 1
        deal = Deal(self.crm_id("opportunity", number), created, Decimal(self.r.choice(DEAL_SIZES)))
        lead_source, lead_source_cn = lead_source
        product = self.r.choice(PRODUCTS)
        loss_reason = self.r.choice(LOSS_REASONS)
        moment = created
        opp_versions = []
        hist = w.exports["opportunity_history"]
        for step, (stage, name) in enumerate((s, n) for s in path for n in self.stage_names(s)):
            if moment >= w.as_of:
                break
            close_date = (moment + timedelta(days=30)).astimezone(SHANGHAI).date().isoformat()
            probability = STAGE_PROBABILITY[stage]
            history_id = self.crm_id("history", number * 16 + step)
            if w.crm == "salesforce":
                row = [history_id, deal.opportunity_id, name, money(deal.amount), probability, close_date,
                       sf_time(moment), c.rep.salesforce_id]
            else:
                row = [history_id, deal.opportunity_id, name, money(deal.amount), probability, close_date,
                       local_time(moment), c.rep.name]
            w.emit(hist, moment, row)
            if hist.fmt(local_day(moment)).kind == "csv":
                self.bad_copy(hist, moment, row, "extra_delimiter", -1, "多余字段", "bad_column_count")
            if not deal.entered or deal.entered[-1][0] != stage:
                deal.entered.append((stage, moment))
            closed = stage in {"won", "lost"}
            if w.crm == "salesforce":
                opp_row = [deal.opportunity_id, self.crm_id("account", c.index), f"{c.company} - {product}", name,
                           money(deal.amount), probability, close_date, str(closed).lower(),
                           str(stage == "won").lower(), lead_source, c.rep.salesforce_id, sf_time(created),
                           sf_time(moment)]
            else:
                opp_row = [deal.opportunity_id, f"{c.company}-{product}", c.company, name, money(deal.amount),
                           probability, close_date, lead_source_cn, c.rep.name, local_time(created),
                           local_time(moment), loss_reason if stage == "lost" else ""]
            opp_versions.append((moment, opp_row))
            moment += timedelta(days=self.r.randint(1, 20), hours=self.r.randint(0, 23))
        w.emit_versions(w.exports["opportunities"], opp_versions)
        self.record(f"crm:opportunity:{deal.opportunity_id}")
        self.deals.append((deal, lead_id))
        return deal

    def repeat_order(self, previous: Deal) -> None:
        start = previous.won_at + timedelta(days=self.r.randint(20, 60))
        if start >= self.w.as_of:
            return
        path = ["intent", "proposal", "won"] if self.chance(0.8) else ["intent", "lost"]
        deal = self.opportunity(start, path, REPEAT_CHANNEL, None)
        self.journey(f"opportunity:{deal.opportunity_id}", "opportunity", None, deal, start, REPEAT_CHANNEL[0], [])

    def tasks(self, lead_id: str, created: datetime, responded: datetime, deal: Deal | None) -> None:
        touches = [(responded, "call", "首次电话沟通")]
        moment = responded
        for _ in range(self.r.randint(0, 3)):
            moment += timedelta(hours=self.r.choice((2, 20, 50, 120, 300)))
            touches.append((moment, self.r.choice(("call", "call", "visit")), "跟进需求"))
        if deal and deal.won_at:
            for days, p in FOLLOW_UP_CHECKPOINTS:
                if self.chance(p):
                    touches.append((deal.won_at + timedelta(days=days + self.r.randint(-3, 3), hours=self.r.randint(1, 8)),
                                    "call", "客户回访"))
        export = self.w.exports["tasks"]
        for when, kind, subject in touches:
            if not self.start_ok(when):
                continue
            task_id = self.crm_id("task", self.c.index * 64 + self.task_seq)
            self.task_seq += 1
            what = deal.opportunity_id if deal and when >= deal.created_at else ""
            if self.w.crm == "salesforce":
                row = [task_id, lead_id, what, "电话沟通 " + subject if kind == "call" else "上门拜访 " + subject,
                       local_day(when).isoformat(), "Call" if kind == "call" else "Meeting", "Completed",
                       sf_time(when), self.c.rep.salesforce_id]
            else:
                row = [task_id, lead_id, what, local_time(when), "电话" if kind == "call" else "上门拜访", subject,
                       self.c.rep.name]
            self.w.emit(export, when, row)

    # -- WeCom -----------------------------------------------------------------------------------
    def wecom(self) -> None:
        c, w = self.c, self.w
        added = max(w.start, c.created_at + timedelta(minutes=self.r.randint(-600, 600)))
        if added >= w.as_of:
            return
        external_userid = "wm" + random_id(self.r, 30)
        name = wecom_display_name(self.r, c)
        contact: dict[str, Any] = {"external_userid": external_userid, "name": name, "type": 1,
                                   "gender": self.r.choice((0, 1, 2)),
                                   "avatar": f"http://wx.qlogo.cn/mmhead/{external_userid[2:14]}/0"}
        if self.chance(0.6):
            contact["unionid"] = "o" + random_id(self.r, 27)
        company = c.company
        if self.chance(0.5):
            company = company_variant(self.r, c.company)
            contact["corp_name"] = c.company[:6]
            contact["corp_full_name"] = company
        reps = [c.rep] + ([self.r.choice([r for r in REPS if r != c.rep])] if self.chance(0.1) else [])
        export = formats.CONTACTS
        for number, rep in enumerate(reps):
            when = added + timedelta(days=3 * number)
            if when >= w.as_of:
                break
            remark_mobiles = [mobile_variant(self.r, c.mobile)] if self.chance(0.7) else []
            item = {"external_contact": contact, "follow_info": {
                "userid": rep.wecom_userid, "remark": f"{c.contact}-{c.company[:4]}", "description": "",
                "createtime": int(when.timestamp()), "tag_id": [f"et{c.channel.wecom_state[:6]}"],
                "remark_corp_name": company if self.chance(0.5) else "", "remark_mobiles": remark_mobiles,
                "add_way": self.r.choice((1, 2, 3)), "oper_userid": rep.wecom_userid, "state": c.channel.wecom_state}}
            where = w.emit(export, when, item)
            if remark_mobiles and remark_mobiles[0] != c.mobile:
                self.defect("phone_format", export, where, f"wecom:contact:{external_userid}")
            if number == 0 and name != c.contact:
                self.defect("name_variant", export, where, f"wecom:contact:{external_userid}")
        self.record(f"wecom:contact:{external_userid}")
        self.chat(external_userid, added)

    def chat(self, external_userid: str, added: datetime) -> None:
        c, export = self.c, formats.CHATS
        moment = added + timedelta(minutes=self.r.randint(1, 30))
        events: list[tuple[datetime, bool, str]] = []
        for n in range(self.r.randint(1, 8)):
            inbound = n % 2 == 0
            text = self.r.choice(INBOUND_TEXTS if inbound else OUTBOUND_TEXTS)
            if n == 0 and self.chance(0.4):  # customers introduce themselves with their number or mail
                text = f"你好，我是{c.company[:6]}的{c.contact}，手机{mobile_variant(self.r, c.mobile)}"
                if self.chance(0.4):
                    text += f"，邮箱 {c.email}"
            events.append((moment, inbound, text))
            moment += self.response_delay(c.rep) if inbound else timedelta(minutes=self.r.randint(5, 3000))
        for deal, _ in self.deals:
            if deal.won_at:
                for days, p in FOLLOW_UP_CHECKPOINTS:
                    if self.chance(p / 2):
                        events.append((deal.won_at + timedelta(days=days + self.r.randint(-3, 3), hours=2), False,
                                       self.r.choice(FOLLOW_UP_TEXTS)))
        for when, inbound, text in events:
            if not self.start_ok(when):
                continue
            sender, receiver = (external_userid, c.rep.wecom_userid) if inbound else (c.rep.wecom_userid, external_userid)
            msgid = f"{random_id(self.r, 20)}_{int(when.timestamp())}"
            message: dict[str, Any] = {"msgid": msgid, "action": "send", "from": sender, "tolist": [receiver],
                                       "roomid": "", "msgtime": int(when.timestamp() * 1000) + self.r.randrange(1000)}
            if self.chance(0.05):
                message |= {"msgtype": "image", "image": {"md5sum": random_id(self.r, 32).lower(),
                                                          "filesize": self.r.randint(20_000, 900_000),
                                                          "sdkfileid": random_id(self.r, 40)}}
            else:
                message |= {"msgtype": "text", "text": {"content": text}}
            self.w.emit(export, when, message)
            if self.chance(self.cfg.bad_row_rate):
                line = truncated_json_line(message)
                where = self.w.emit(export, when, line)
                self.w.truth.defect("truncated_json", "wecom", "messages", where[0], where[1], "",
                                    "quarantine:invalid_json")
            if not inbound and self.chance(0.03):
                recall_at = when + timedelta(seconds=self.r.randint(5, 110))
                if recall_at < self.w.as_of:
                    self.w.emit(export, recall_at, {
                        "msgid": f"{random_id(self.r, 20)}_{int(recall_at.timestamp())}", "action": "recall",
                        "from": sender, "tolist": [receiver], "roomid": "",
                        "msgtime": int(recall_at.timestamp() * 1000), "msgtype": "revoke",
                        "revoke": {"pre_msgid": msgid}})

    # -- e-mail ----------------------------------------------------------------------------------
    def email(self) -> None:
        c, w = self.c, self.w
        address = c.email if self.chance(0.8) else c.email.title()
        rep_address = f"{c.rep.wecom_userid}@{COMPANY_DOMAIN}"
        moment = max(w.start, c.created_at + timedelta(hours=self.r.randint(-24, 48)))
        subject = self.r.choice(EMAIL_SUBJECTS)
        as_eml = self.chance(0.1)  # a rep's client export rather than the server's mailbox
        references: list[str] = []
        self.record(f"email:address:{c.email.lower()}")
        for n in range(self.r.randint(1, 4)):
            if moment >= w.as_of:
                break
            inbound = n % 2 == 0
            domain = address.split("@")[1].lower() if inbound else COMPANY_DOMAIN
            message_id = f"<{c.index:x}.{n}.{int(moment.timestamp())}@{domain}>"
            missing_id = self.chance(self.cfg.missing_message_id_rate)
            if n == 0:
                style = self.r.randrange(10)
                subject_header = (mail.encoded_word(subject, "gb2312") if style < 5 else
                                  mail.encoded_word(subject, "gbk", "Q") if style < 7 else mail.encoded_word(subject, "utf-8"))
            else:
                subject_header = mail.encoded_word("回复：" + subject, "utf-8")
            message = mail.Mail(
                message_id=None if missing_id else message_id,
                date_header=self.date_header(moment),
                from_header=(f"{mail.encoded_word(c.contact, 'utf-8')} <{address}>" if inbound
                             else f"{mail.encoded_word(c.rep.name, 'utf-8')} <{rep_address}>"),
                to_header=rep_address if inbound else address,
                subject_header=subject_header,
                body=self.r.choice(INBOUND_TEXTS if inbound else OUTBOUND_TEXTS) + "\n\n" + (
                    self.signature() if inbound else c.rep.name),
                body_charset=self.r.choice(("utf-8", "gb2312", "gbk", "gb18030")) if inbound else "utf-8",
                html_only=inbound and self.chance(0.1),
                attachment=("报价单.pdf", b"%PDF-1.4\n% quote\n" + random_id(self.r, 64).encode()) if not inbound and n == 1 and self.chance(0.5) else None,
                references=list(references),
            )
            data = mail.render(message, f"{c.index:x}{n}")
            sender = address if inbound else rep_address
            where = self.deliver_mail(data, sender, moment, as_eml, n)
            if missing_id:
                self.defect("missing_message_id", formats.MAILBOX, where, "")
            if self.chance(self.cfg.duplicate_message_rate):
                copy = self.deliver_mail(data, sender, moment, not as_eml, n)
                self.defect("duplicate_message", formats.MAILBOX, copy, message_id)
            if self.chance(self.cfg.bad_row_rate):
                broken = mail.render(replace(message, message_id=f"<bad.{message_id[1:]}",
                                             date_header="Mon, 32 Foo 2025 25:61:00 +0800"), f"{c.index:x}{n}b")
                where = self.deliver_mail(broken, sender, moment, as_eml, n + 50)
                self.w.truth.defect("bad_date_header", "email", "messages", where[0], where[1], "",
                                    "quarantine:invalid_timestamp")
            references.append(message_id)
            moment += timedelta(hours=self.r.randint(1, 72))

    def signature(self) -> str:
        """The customer's mail signature: often with company and mobile, as B2B mail in China has."""
        c = self.c
        if not self.chance(0.6):
            return c.contact
        return f"{c.contact}\n{company_variant(self.r, c.company)}\n手机：{mobile_variant(self.r, c.mobile)}"

    def date_header(self, moment: datetime) -> str:
        local = moment.astimezone(SHANGHAI)
        style = self.r.randrange(20)
        if style == 0:
            return local.strftime("%a, %d %b %Y %H:%M:%S")  # no zone: read as Asia/Shanghai
        if style == 1:
            return local.strftime("%d %b %Y %H:%M:%S +0800")  # no weekday
        if style == 2:
            return moment.astimezone(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")
        return local.strftime("%a, %d %b %Y %H:%M:%S +0800")

    def deliver_mail(self, data: bytes, sender: str, moment: datetime, as_eml: bool, n: int) -> tuple[str, int]:
        day = local_day(moment)
        if as_eml:
            return self.w.sink.add("email", day, f"msg_{self.c.index:08d}_{n:02d}", formats.EML, data)
        return self.w.emit(formats.MAILBOX, moment, mail.mbox_entry(data, sender, moment))

    # -- finance ---------------------------------------------------------------------------------
    def invoice_and_payments(self, deal: Deal, number: int) -> None:
        c, w = self.c, self.w
        issued = deal.won_at + timedelta(days=self.r.randint(1, 10), hours=self.r.randint(0, 6))
        if issued >= w.as_of:
            return
        invoice_number = f"{issued:%y}31{issued.astimezone(SHANGHAI):%m%d}{c.index:010d}{number:02d}"
        net = (deal.amount / Decimal("1.06")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        tax = deal.amount - net
        buyer = company_variant(self.r, c.company)
        typo = self.chance(self.cfg.company_typo_rate)
        if typo:
            buyer = company_typo(self.r, c.company)
        buyer_tax_id = c.credit_code if self.chance(0.95) else ""
        row = ["", invoice_number, local_time(issued), SELLER_CREDIT_CODE, SELLER_NAME, buyer_tax_id, buyer,
               "*信息技术服务*软件服务费", money(net), "6%", money(tax), money(deal.amount), "数电票（增值税专用发票）",
               "正常", "是", "王会计", ""]
        where = w.emit(formats.INVOICES, issued, row)
        self.record(f"finance:invoice:{invoice_number}")
        if typo:
            self.defect("company_typo", formats.INVOICES, where, f"finance:invoice:{invoice_number}")
        self.bad_copy(formats.INVOICES, issued, row[:1] + [invoice_number[:-2] + "99"] + row[2:], "bad_amount", 8,
                      "N/A", "invalid_money")
        reversed_at = issued + timedelta(days=self.r.randint(2, 30))
        if self.chance(0.04) and reversed_at < w.as_of:
            w.emit(formats.INVOICES, reversed_at, row[:13] + ["已红冲"] + row[14:])
            red_number = invoice_number[:-2] + f"{number + 50:02d}"
            w.emit(formats.INVOICES, reversed_at, ["", red_number, local_time(reversed_at)] + row[3:8] + [
                "-" + money(net), "6%", "-" + money(tax), "-" + money(deal.amount), row[12], "正常", "否", "王会计",
                f"被红冲蓝字数电发票号码：{invoice_number}"])
            self.record(f"finance:invoice:{red_number}")
            return
        paid = issued + timedelta(days=self.r.randint(0, 20), hours=self.r.randint(0, 8))
        parts = [deal.amount] if self.chance(0.9) else [(deal.amount / 2).quantize(Decimal("0.01")),
                                                        deal.amount - (deal.amount / 2).quantize(Decimal("0.01"))]
        for part_number, part in enumerate(parts):
            when = paid + timedelta(days=15 * part_number)
            if when >= w.as_of:
                break
            transaction_id = f"BR{when.astimezone(SHANGHAI):%Y%m%d}{c.index:010d}{number}{part_number}"
            receipt = [local_time(when), transaction_id, company_variant(self.r, c.company), f"6222{c.index:012d}",
                       "招商银行上海分行", money(part), "", "", f"货款 发票号{invoice_number}"]
            w.emit(formats.BANK_RECEIPTS, when, receipt)
            self.record(f"finance:bank_receipt:{transaction_id}")
            self.bad_copy(formats.BANK_RECEIPTS, when, receipt, "missing_id", 1, "", "missing_required")


def truncated_json_line(message: dict[str, Any]) -> str:
    """A JSON line cut off mid-way, as when the archive decryptor crashes during a write."""
    text = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    return text[: len(text) // 2]


def marketing_spend(world: World, customers: int) -> None:
    """Spend per channel and day, scaled to the simulated volume."""
    rng = random.Random(world.config.seed * 7_777_777)
    scale = max(customers, 1) / 1000
    day = world.start.astimezone(SHANGHAI).date()
    last = (world.as_of - timedelta(seconds=1)).astimezone(SHANGHAI).date()
    while day <= last:
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI)
        for channel in CHANNELS:
            spend = Decimal(channel.daily_spend * scale * rng.uniform(0.7, 1.3)).quantize(Decimal("0.01"))
            clicks = int(float(spend) / channel.cost_per_click)
            world.emit(formats.SPEND, noon, [day.isoformat(), channel.chinese, money(spend),
                                             clicks * rng.randint(20, 60), clicks])
        day += timedelta(days=1)


