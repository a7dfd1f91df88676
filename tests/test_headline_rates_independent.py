"""The headline rates 进线率 (K02) and 回访率 (K19) as published on the sample, against a second,
independent implementation: plain pandas and the standard library over the delivered files
(Salesforce CSVs, WeCom JSON, mbox/.eml) and the generator's ground truth (which deals were won
and when). The only thing borrowed from the pipeline is which customer each source record
belongs to (the published bridge): identity resolution is scored on its own
(test_identity.py), so a mismatch here is a KPI error, not an identity one. 转化率 (K09) has
its own test in test_k09_independent.py."""

from __future__ import annotations

import json
import mailbox
import unicodedata
from datetime import date, timedelta
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import phonenumbers
import pytest

from orchestration.generator import read_truth
from test_k09_independent import _created, _seed, latest_versions

SHANGHAI = ZoneInfo("Asia/Shanghai")
OURS = "ourcompany.cn"
CHECKPOINTS = ((7, 3), (30, 3), (90, 3))


def _is_mobile(raw: str) -> bool:
    try:
        number = phonenumbers.parse(unicodedata.normalize("NFKC", raw).strip(), "CN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _mails(landing: Path) -> list[dict]:
    """Every message of every mailbox and .eml: sender, recipients, time (naive = Shanghai)."""
    messages = []
    for path in sorted(landing.glob("email/*/*")):
        if path.suffix == ".mbox":
            parsed = [BytesParser().parsebytes(m.as_bytes()) for m in mailbox.mbox(path)]
        elif path.suffix == ".eml":
            parsed = [BytesParser().parsebytes(path.read_bytes())]
        else:
            continue
        for message in parsed:
            try:
                sent = parsedate_to_datetime(message["Date"])
            except (TypeError, ValueError):
                continue  # an unreadable Date is quarantined by the pipeline
            if sent.tzinfo is None:
                sent = sent.replace(tzinfo=SHANGHAI)
            messages.append({
                "id": message["Message-ID"], "sender": parseaddr(message["From"])[1].lower(),
                "to": [a.lower() for _, a in getaddresses(message.get_all("To", []))],
                "sent": pd.Timestamp(sent).tz_convert("UTC"),
            })
    return messages


def _chats(landing: Path) -> list[dict]:
    rows = []
    for path in sorted(landing.glob("wecom/*/chat_messages_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a truncated line is quarantined by the pipeline
    return rows


def _contacts(landing: Path) -> pd.DataFrame:
    rows = []
    for path in sorted(landing.glob("wecom/*/external_contacts_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            for item in json.loads(line)["external_contact_list"]:
                follow = item["follow_info"]
                rows.append({"external_userid": item["external_contact"]["external_userid"], "rep": follow["userid"],
                             "added": pd.Timestamp(follow["createtime"], unit="s", tz="UTC"), "state": follow["state"]})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def customer_of(demo) -> dict[str, str]:
    with duckdb.connect(str(demo.home.serving), read_only=True) as conn:
        return dict(conn.execute("SELECT record_id, customer_key FROM bridge_customer_source_record").fetchall())


def test_published_lead_in_rate_equals_an_independent_computation(demo, customer_of):
    landing = demo.home.landing
    channels = _seed("channel_map")
    to_channel = {(r.source_system, r.source_value): r.channel for r in channels.itertuples()}

    leads = latest_versions(landing, "Lead_*.csv")
    leads["created"] = _created(leads.CreatedDate)
    leads = leads[(leads.Id != "") & leads.created.notna()]
    mobiles = leads.MobilePhone.map(_is_mobile)
    # Junk keys (a number on more than 50 records) do not occur on the sample; the pipeline would
    # not count them as a usable mobile.
    assert leads.MobilePhone[mobiles].map(lambda m: unicodedata.normalize("NFKC", m)).value_counts().max() <= 50
    contacts = [("crm:lead:" + lead.Id, lead.created, "crm_lead", lead.Id,
                 to_channel.get(("salesforce", lead.LeadSource), lead.LeadSource or "unknown"),
                 bool(mobile) or bool(lead.Email.strip()))
                for lead, mobile in zip(leads.itertuples(), mobiles)]
    wecom = _contacts(landing).sort_values("added").drop_duplicates("external_userid")
    contacts += [("wecom:contact:" + c.external_userid, c.added, "wecom_add", c.external_userid,
                  to_channel.get(("wecom", c.state), "unknown"), True) for c in wecom.itertuples()]
    first_mail: dict[str, pd.Timestamp] = {}
    for mail in _mails(landing):
        if mail["sender"] and not mail["sender"].endswith("@" + OURS):
            first_mail[mail["sender"]] = min(first_mail.get(mail["sender"], mail["sent"]), mail["sent"])
    contacts += [("email:address:" + address, sent, "inbound_email", "email:address:" + address, "Email", True)
                 for address, sent in first_mail.items()]

    frame = pd.DataFrame(contacts, columns=["record", "at", "source", "id", "channel", "usable"])
    frame["customer"] = frame.record.map(customer_of)
    assert frame.customer.notna().all()  # every record is in the bridge
    frame = frame.sort_values(["customer", "at", "source", "id"])
    usable = frame.groupby("customer").usable.any()
    first = frame.drop_duplicates("customer").set_index("customer")
    first["usable"] = usable
    first["day"] = first["at"].dt.tz_convert(SHANGHAI).dt.strftime("%Y-%m-%d")
    expected = {(day, channel): (int(group.usable.sum()), len(group))
                for (day, channel), group in first.groupby(["day", "channel"])}

    with duckdb.connect(str(demo.home.serving), read_only=True) as conn:
        rows = conn.execute("SELECT strftime(day, '%Y-%m-%d'), channel, usable_inbound_contacts, inbound_contacts,"
                            " lead_in_rate FROM mart_intake_daily WHERE inbound_contacts > 0").fetchall()
    assert {(day, channel): (num, den) for day, channel, num, den, _ in rows} == expected
    for _, _, num, den, rate in rows:
        assert rate == pytest.approx(num / den, abs=1e-9)
    # Every sample customer leaves a mobile or an address somewhere, so the rate is 1 here; the
    # hand-built landing (test_kpi_catalogue_tiny.py) has a lead that left neither.
    assert sum(den for _, den in expected.values()) > 250
    assert {"Email", "Trade Show", "WeChat"} <= {channel for _, channel in expected}


def test_published_revisit_rate_equals_an_independent_computation(demo, customer_of):
    landing = demo.home.landing
    # Outbound touches from the files: CRM tasks (calls, visits), chats sent by a rep, mails sent by us.
    touches: list[tuple[str, pd.Timestamp]] = []
    tasks = latest_versions(landing, "Task_*.csv")
    tasks["moment"] = _created(tasks.CreatedDate)
    touches += [("crm:lead:" + t.WhoId, t.moment) for t in tasks[tasks.moment.notna() & (tasks.Id != "")].itertuples()]
    chats = _chats(landing)
    recalled = {c["revoke"]["pre_msgid"] for c in chats if c.get("action") == "recall"}
    reps = set(_contacts(landing).rep)
    touches += [("wecom:contact:" + c["tolist"][0], pd.Timestamp(c["msgtime"], unit="ms", tz="UTC"))
                for c in chats if c.get("action") == "send" and c["from"] in reps and not c.get("roomid")
                and c["msgid"] not in recalled]
    touches += [("email:address:" + to, mail["sent"]) for mail in _mails(landing)
                if mail["sender"].endswith("@" + OURS) for to in mail["to"] if not to.endswith("@" + OURS)]
    touch_days: dict[str, set[date]] = {}
    for record, at in touches:
        if record in customer_of:
            touch_days.setdefault(customer_of[record], set()).add(at.tz_convert(SHANGHAI).date())

    with duckdb.connect(str(demo.home.warehouse), read_only=True) as conn:
        as_of_day = conn.execute("SELECT (as_of_at AT TIME ZONE 'Asia/Shanghai')::date FROM intermediate.int_as_of").fetchone()[0]
    # The won deals and when they were won: the generator's ground truth.
    expected: dict[tuple[str, int], list[int]] = {}
    won = [j for j in read_truth(landing, "journeys") if j["outcome"] == "won"]
    assert won
    for journey in won:
        customer = customer_of["crm:opportunity:" + journey["opportunity_id"]]
        won_day = pd.Timestamp(journey["outcome_at"]).tz_convert(SHANGHAI).date()
        for days, tolerance in CHECKPOINTS:
            start, end = won_day + timedelta(days - tolerance), won_day + timedelta(days + tolerance)
            if end >= as_of_day:
                continue  # not due yet
            cell = expected.setdefault((won_day.strftime("%Y-%m-01"), days), [0, 0])
            cell[0] += any(start <= d <= end for d in touch_days.get(customer, ()))
            cell[1] += 1

    with duckdb.connect(str(demo.home.serving), read_only=True) as conn:
        rows = conn.execute("SELECT strftime(won_month, '%Y-%m-%d'), checkpoint_days, sum(covered_checkpoints),"
                            " sum(due_checkpoints) FROM mart_revisit GROUP BY ALL").fetchall()
        rate = conn.execute("SELECT sum(covered_checkpoints) / sum(due_checkpoints) FROM mart_revisit").fetchone()[0]
    assert {(month, days): [covered, due] for month, days, covered, due in rows} == expected
    covered, due = map(sum, zip(*expected.values()))
    assert rate == pytest.approx(covered / due, abs=1e-9)
    assert 0 < covered < due and {days for _, days in expected} == {7, 30, 90}
