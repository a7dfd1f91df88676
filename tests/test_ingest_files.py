"""Ingestion of real files in the real formats, into a real DuckDB file."""

import csv
import hashlib
import io
import itertools

import dagster as dg
import duckdb
import pytest

from orchestration.defs.ingest import ASSETS as INGEST_ASSETS
from orchestration.defs.ingest.crm.contracts import LEADS
from orchestration.defs.ingest.finance.contracts import INVOICES
from orchestration.defs.resources import LandingZone, WarehouseResource
from orchestration.lib.errors import MalformedFileError
from orchestration.lib.loader import FileSpec
from orchestration.lib.partition_load import load_entity
from orchestration.lib.readers import ends_inside_quotes, read_csv

LEAD_HEADER = ("Id,FirstName,LastName,Company,Email,Phone,MobilePhone,LeadSource,Status,Rating,OwnerId,"
               "CreatedDate,ConvertedDate,ConvertedAccountId,ConvertedContactId,ConvertedOpportunityId,IsConverted")
GOOD_LEAD = "00Q1,伟,张,华通科技有限公司,zw@corp.cn,,138-0013-8000,Website,Open - Not Contacted,Hot,005A,2025-08-01T02:00:00.000+0000,,,,,false"
LEADS_SPEC = [FileSpec("Lead*.csv", read_csv)]


def _deliver(landing, source, day, name, text, encoding="utf-8"):
    folder = landing / source / day
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.encode(encoding))
    return folder / name


def _count(db, table):
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_bad_row_is_quarantined_and_good_rows_load(tmp_path):
    bad = GOOD_LEAD.replace("00Q1", "00Q2").replace("2025-08-01T02:00:00.000+0000", "yesterday")
    third = GOOD_LEAD.replace("00Q1", "00Q3")
    _deliver(tmp_path / "landing", "crm", "2026-01-01", "Lead.csv", f"{LEAD_HEADER}\n{GOOD_LEAD}\n{bad}\n{third}\n")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        report = load_entity(conn, LEADS, tmp_path / "landing", LEADS_SPEC)
        quarantined = conn.execute("SELECT source_file, source_line, reason, raw_text FROM ingest.quarantine").fetchall()
        loaded = conn.execute("SELECT lead_id, mobile_e164 FROM raw_crm.leads ORDER BY 1").fetchall()
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    assert quarantined == [("crm/2026-01-01/Lead.csv", 3, "invalid_timestamp", bad)]
    assert loaded == [("00Q1", "+8613800138000"), ("00Q3", "+8613800138000")]


def test_a_row_dated_after_its_delivery_is_quarantined(tmp_path):
    """A delivery of 2026-01-01 (Asia/Shanghai) was exported by the end of that day; a day more is
    tolerated for clocks, so the last instant it can hold is 2026-01-03 00:00 +08:00, 2026-01-02
    16:00 UTC. A lead one second later, and one of a mistyped year, are quarantined; one a minute
    earlier loads."""
    rows = {lead_id: GOOD_LEAD.replace("00Q1", lead_id).replace("2025-08-01T02:00:00.000+0000", created)
            for lead_id, created in [("00Q1", "2026-01-02T15:59:00.000+0000"),
                                     ("00Q2", "2026-01-02T16:00:01.000+0000"),
                                     ("00Q3", "2062-01-01T02:00:00.000+0000")]}
    _deliver(tmp_path / "landing", "crm", "2026-01-01", "Lead.csv", LEAD_HEADER + "\n" + "\n".join(rows.values()) + "\n")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        report = load_entity(conn, LEADS, tmp_path / "landing", LEADS_SPEC)
        quarantined = conn.execute("SELECT source_line, reason, raw_text, message FROM ingest.quarantine ORDER BY 1").fetchall()
        loaded = conn.execute("SELECT lead_id FROM raw_crm.leads").fetchall()
    assert (report.rows_loaded, report.rows_quarantined) == (1, 2)
    assert report.quarantined_by_reason == {"timestamp_after_delivery": 2}
    assert loaded == [("00Q1",)]
    assert [(line, reason, raw) for line, reason, raw, _ in quarantined] == [
        (3, "timestamp_after_delivery", rows["00Q2"]), (4, "timestamp_after_delivery", rows["00Q3"])]
    assert "CreatedDate: 2062-01-01T02:00:00+00:00" in quarantined[1][3]


def test_same_file_delivered_twice_loads_once_and_reloading_is_idempotent(tmp_path):
    text = f"{LEAD_HEADER}\n{GOOD_LEAD}\n"
    _deliver(tmp_path / "landing", "crm", "2026-01-01", "Lead.csv", text)
    _deliver(tmp_path / "landing", "crm", "2026-01-02", "Lead.csv", text)
    db = tmp_path / "w.duckdb"
    for _ in range(2):
        with duckdb.connect(str(db)) as conn:
            report = load_entity(conn, LEADS, tmp_path / "landing", LEADS_SPEC)
        assert report.duplicate_files == 1 and report.rows_loaded == 1
        assert _count(db, "raw_crm.leads") == 1


def test_gbk_export_loads_the_same_rows_as_its_utf8_twin(tmp_path):
    header = ("发票代码,发票号码,开票日期,销方识别号,销方名称,购方识别号,购买方名称,货物或应税劳务名称,金额,税率,税额,"
              "价税合计,发票票种,发票状态,是否正数发票,开票人,备注")
    row = (",25310000000000000001,2025-09-01 10:00:00,,上海示例软件有限公司,91350100M000100Y43,"
           "华通科技（北京）有限公司,*信息技术服务*软件服务费,1000.00,6%,60.00,1060.00,数电票,正常,是,王会计,")
    spec = [FileSpec("invoices*.csv", read_csv)]
    results = []
    for encoding in ("utf-8", "gbk"):
        landing = tmp_path / encoding
        _deliver(landing, "finance", "2026-01-01", "invoices.csv", f"{header}\n{row}\n", encoding)
        with duckdb.connect(str(tmp_path / f"{encoding}.duckdb")) as conn:
            load_entity(conn, INVOICES, landing, spec)
            results.append(conn.execute(
                "SELECT invoice_number, buyer_name, buyer_name_norm, buyer_credit_code, amount_total, tax_rate "
                "FROM raw_finance.invoices").fetchall())
    assert results[0] == results[1]
    assert results[0][0][1:4] == ("华通科技（北京）有限公司", "华通科技北京", "91350100M000100Y43")
    assert str(results[0][0][4]) == "1060.00"


def test_missing_required_column_fails_naming_the_column(tmp_path):
    header = LEAD_HEADER.replace(",CreatedDate", ",Created")
    _deliver(tmp_path / "landing", "crm", "2026-01-01", "Lead.csv", f"{header}\n{GOOD_LEAD}\n")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn, pytest.raises(MalformedFileError) as error:
        load_entity(conn, LEADS, tmp_path / "landing", LEADS_SPEC)
    assert "CreatedDate" in str(error.value) and "Lead.csv" in str(error.value)


def test_unreadable_file_fails_only_its_asset_and_names_the_file(tmp_path):
    landing = tmp_path / "landing"
    garbage = _deliver(landing, "crm", "2026-01-01", "Lead.csv", "")
    garbage.write_bytes(b"\x00\x01\x02PK\x03\x04" * 200)
    good_task = ("Id,WhoId,WhatId,Subject,ActivityDate,Type,Status,CreatedDate,OwnerId\n"
                 "00T1,00Q1,,电话沟通,2025-08-01,Call,Completed,2025-08-01T02:00:00.000+0000,005A\n")
    _deliver(landing, "crm", "2026-01-01", "Task.csv", good_task)
    db = tmp_path / "w.duckdb"
    by_key = {asset.key: asset for asset in INGEST_ASSETS}
    leads_asset, tasks_asset = by_key[dg.AssetKey(["raw_crm", "leads"])], by_key[dg.AssetKey(["raw_crm", "tasks"])]
    result = dg.materialize(
        [leads_asset, tasks_asset],
        resources={"warehouse": WarehouseResource(database=str(db)), "landing": LandingZone(path=str(landing))},
        partition_key="2026-01-01",
        raise_on_error=False,
    )
    assert not result.success
    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert [e.step_key for e in failures] == ["raw_crm__leads"]
    message = failures[0].event_specific_data.error.message
    assert str(garbage) in message and "binary" in message
    assert _count(db, "raw_crm.tasks") == 1  # the other source entity still loaded


def test_a_failed_load_leaves_the_previous_rows(tmp_path):
    landing = tmp_path / "landing"
    _deliver(landing, "crm", "2026-01-01", "Lead.csv", f"{LEAD_HEADER}\n{GOOD_LEAD}\n")
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as conn:
        load_entity(conn, LEADS, landing, LEADS_SPEC)
    _deliver(landing, "crm", "2026-01-02", "Lead.csv", "Id,FirstName\n00Q9,x\n")
    with duckdb.connect(str(db)) as conn, pytest.raises(MalformedFileError):
        load_entity(conn, LEADS, landing, LEADS_SPEC)
    assert _count(db, "raw_crm.leads") == 1


def test_json_records_are_flattened_one_level_and_non_objects_are_row_errors(tmp_path):
    """JSON lines and API pages: an object's objects become dotted fields (deeper ones stay whole,
    lists stay values); a line or list item that is not an object, or not JSON, is a row error
    at its own line, and blank lines keep the numbering."""
    from orchestration.lib.readers import read_json_lines, read_json_pages

    lines = ['{"msgid": "m1", "text": {"content": "你好", "meta": {"a": 1}}, "tolist": ["u1"]}', "",
             '["m2"]', "42", '{"msgid": "m3"', '{"msgid": "m4", "text": null}']
    path = _deliver(tmp_path, "wecom", "2026-01-01", "chat.jsonl", "\n".join(lines) + "\n")
    records = list(read_json_lines(path).records)
    assert [(r.line, r.error.reason if r.error else None) for r in records] == [
        (1, None), (3, "invalid_json"), (4, "invalid_json"), (5, "invalid_json"), (6, None)]
    assert records[0].fields == {"msgid": "m1", "text.content": "你好", "text.meta": {"a": 1}, "tolist": ["u1"]}
    assert records[1].error.message == records[2].error.message == "line is not an object"
    assert records[4].fields == {"msgid": "m4", "text": None}

    page = '{"errcode": 0, "external_contact_list": [{"external_contact": {"name": "王芳"}}, "x"]}'
    path = _deliver(tmp_path, "wecom", "2026-01-01", "contacts.json", page)
    items = list(read_json_pages(path, "external_contact_list").records)
    assert items[0].fields == {"external_contact.name": "王芳"}
    assert (items[1].line, items[1].error.message) == (2, "item is not an object")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def test_a_rows_hash_is_taken_of_its_whole_text_as_delivered(tmp_path):
    """A CSV record's hash covers every line of it, line breaks inside a quoted field as
    delivered: two leads whose last lines are the same text hash apart, and a lead delivered
    again with the same text hashes the same."""
    tail = '科技有限公司",zw@corp.cn,,138-0013-8000,Website,Open - Not Contacted,Hot,005A,2025-08-01T02:00:00.000+0000,,,,,false'
    first, second = f'00Q1,伟,张,"华通\r\n{tail}', f'00Q2,伟,张,"宏达\r\n{tail}'
    _deliver(tmp_path / "landing", "crm", "2026-01-01", "Lead.csv", f"{LEAD_HEADER}\r\n{first}\r\n{second}\r\n")
    _deliver(tmp_path / "landing", "crm", "2026-01-02", "Lead_again.csv", f"{LEAD_HEADER}\n{first}\n")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        load_entity(conn, LEADS, tmp_path / "landing", LEADS_SPEC)
        hashes = conn.execute("SELECT lead_id, company, _row_hash FROM raw_crm.leads ORDER BY _delivery_date, lead_id").fetchall()
    assert hashes == [("00Q1", "华通\r\n科技有限公司", _sha(first)), ("00Q2", "宏达\r\n科技有限公司", _sha(second)),
                      ("00Q1", "华通\r\n科技有限公司", _sha(first))]


def test_json_records_keep_their_text_for_the_hash(tmp_path):
    from orchestration.lib.readers import read_json_lines, read_json_pages

    lines = ['{"msgid": "m1", "text": {"content": "你好"}}', '{"msgid":"m2"}']
    path = _deliver(tmp_path, "wecom", "2026-01-01", "chat.jsonl", "\r\n".join(lines) + "\r\n")
    assert [r.text for r in read_json_lines(path).records] == lines
    page = '{"errcode": 0, "external_contact_list": [{"external_contact": {"name": "王芳"}}]}'
    path = _deliver(tmp_path, "wecom", "2026-01-01", "contacts.json", page)
    assert [r.text for r in read_json_pages(path, "external_contact_list").records] == [
        '{"external_contact": {"name": "王芳"}}']


def test_a_mail_without_message_id_hashes_by_its_fields_so_its_copies_are_one_message(tmp_path):
    """The same mail exported from two mailboxes differs in its transport headers; without a
    Message-ID its key is its hash, which is therefore taken of what was read from it."""
    from orchestration.defs.ingest.email import ENTITIES as MAIL_ENTITIES

    (contract, specs), = MAIL_ENTITIES
    body = ("Date: Wed, 31 Dec 2025 10:00:00 +0800\r\nFrom: a@corp.cn\r\nTo: b@ourcompany.cn\r\n"
            "Subject: {subject}\r\n\r\nhello\r\n")
    _deliver(tmp_path / "landing", "email", "2026-01-01", "inbox_1.eml",
             "Received: from mx1.corp.cn\r\n" + body.format(subject="quote"))
    _deliver(tmp_path / "landing", "email", "2026-01-01", "archive_1.eml",
             "Received: from mx2.ourcompany.cn\r\n" + body.format(subject="quote"))
    _deliver(tmp_path / "landing", "email", "2026-01-01", "inbox_2.eml",
             "Received: from mx1.corp.cn\r\n" + body.format(subject="another quote"))
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        load_entity(conn, contract, tmp_path / "landing", specs)
        hashes = dict(conn.execute("SELECT _source_file, _row_hash FROM raw_email.messages").fetchall())
    assert len(hashes) == 3
    assert hashes["email/2026-01-01/inbox_1.eml"] == hashes["email/2026-01-01/archive_1.eml"]
    assert hashes["email/2026-01-01/inbox_2.eml"] != hashes["email/2026-01-01/inbox_1.eml"]


def test_a_quarantined_csv_record_is_kept_whole_at_the_line_it_starts_on(tmp_path):
    """The quarantine holds a bad record's every line, numbered by the line it starts on, as the
    csv module split the file: a line separator that only str.splitlines breaks at (U+2028 in a
    company name, a next-line control in a name) stays inside its field and does not shift the
    records after it."""
    inside = GOOD_LEAD.replace("华通科技有限公司", "华通\u2028科技有限公司").replace(",伟,", ",伟\x85,")
    multi = GOOD_LEAD.replace("00Q1", "00Q2").replace("华通科技有限公司", '"华通\n科技有限公司"').replace(
        "2025-08-01T02:00:00.000+0000", "yesterday")
    extra = GOOD_LEAD.replace("00Q1", "00Q3") + ",one too many"
    _deliver(tmp_path / "landing", "crm", "2026-01-01", "Lead.csv", f"{LEAD_HEADER}\n{inside}\n{multi}\n{extra}\n")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        report = load_entity(conn, LEADS, tmp_path / "landing", LEADS_SPEC)
        quarantined = conn.execute(
            "SELECT source_line, reason, raw_text FROM ingest.quarantine ORDER BY source_line").fetchall()
        loaded = conn.execute("SELECT lead_id, company, _source_line FROM raw_crm.leads").fetchall()
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 1, 2)
    assert loaded == [("00Q1", "华通\u2028科技有限公司", 2)]
    assert quarantined == [(3, "invalid_timestamp", multi), (5, "bad_column_count", extra)]


def test_a_csv_record_that_cannot_be_split_fails_its_file_naming_the_line(tmp_path):
    """A quote left open runs the rest of the file into one field, past the csv module's field
    limit: the file fails, named, with the line where the record starts (not a bare csv error)."""
    broken = GOOD_LEAD.replace("00Q1", "00Q2").replace("华通科技有限公司", '"华通科技有限公司')
    rest = "\n".join(GOOD_LEAD.replace("00Q1", f"00R{n}") for n in range(2000))
    path = _deliver(tmp_path / "landing", "crm", "2026-01-01", "Lead.csv", f"{LEAD_HEADER}\n{GOOD_LEAD}\n{broken}\n{rest}\n")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn, pytest.raises(MalformedFileError) as error:
        load_entity(conn, LEADS, tmp_path / "landing", LEADS_SPEC)
    assert error.value.path == str(path)
    assert "the record from line 3 cannot be split" in error.value.problem and "quote" in error.value.hint


@pytest.mark.parametrize("column", ["Company", "IsConverted"])
def test_a_quote_left_open_below_the_field_limit_fails_its_file_too(tmp_path, column):
    """Below the csv module's field limit a quote left open ends, without an error, at the end
    of the file: the records after it would be one field of one record, a quarantined
    bad_column_count row, or, open in the last column, a valid row holding the rest of the file
    in its last value. Either way the file fails as above, its rows none loaded."""
    broken = GOOD_LEAD.replace("00Q1", "00Q2")
    broken = (broken.replace("华通科技有限公司", '"华通科技有限公司') if column == "Company"
              else broken.removesuffix("false") + '"false')
    rest = "\n".join(GOOD_LEAD.replace("00Q1", f"00R{n}") for n in range(3))
    path = _deliver(tmp_path / "landing", "crm", "2026-01-01", "Lead.csv", f"{LEAD_HEADER}\n{GOOD_LEAD}\n{broken}\n{rest}\n")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        with pytest.raises(MalformedFileError) as error:
            load_entity(conn, LEADS, tmp_path / "landing", LEADS_SPEC)
        assert conn.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw_crm' AND table_name = 'leads'"
                            ).fetchone()[0] == 0 or conn.execute("SELECT count(*) FROM raw_crm.leads").fetchone()[0] == 0
    assert error.value.path == str(path)
    assert "the record from line 3 cannot be split: a quoted field is never closed" in error.value.problem


def test_a_record_ends_inside_quotes_as_the_csv_module_reads_it():
    """ends_inside_quotes against the csv module itself, on every text of up to seven quotes,
    letters, commas and line feeds: in strict mode the module reports a record left inside
    quotes at the end of its input as "unexpected end of data" (texts it rejects for a
    character after a closing quote, where it stops reading, say nothing about their end)."""
    def strict_verdict(text: str) -> str | None:
        try:
            list(csv.reader(io.StringIO(text, newline=""), strict=True))
        except csv.Error as exc:
            return "open" if "unexpected end of data" in str(exc) else "rejected"
        return None

    compared = opened = 0
    for length in range(1, 8):
        for chars in itertools.product('"a,\n', repeat=length):
            text = "".join(chars)
            verdict = strict_verdict(text)
            if verdict == "rejected":
                continue
            assert ends_inside_quotes(text) == (verdict == "open"), repr(text)
            compared, opened = compared + 1, opened + (verdict == "open")
    assert compared > 5000 and opened > 1000


def test_json_lines_split_only_at_line_feeds(tmp_path):
    """JSON may hold U+2028, U+2029 and U+0085 unescaped in a string (json.dumps with
    ensure_ascii=False writes them so): the message stays one record, its text whole, and the
    lines after it keep their numbers; the same holds for JSON lines of API pages."""
    from orchestration.lib.readers import read_json_lines, read_json_pages

    lines = ['{"msgid": "m1", "text": {"content": "第一段\u2028第二段\u2029\x85完"}}', '{"msgid": "m2"}']
    path = _deliver(tmp_path, "wecom", "2026-01-01", "chat.jsonl", "\r\n".join(lines) + "\r\n")
    records = list(read_json_lines(path).records)
    assert [(r.line, r.error, r.text) for r in records] == [(1, None, lines[0]), (2, None, lines[1])]
    assert records[0].fields["text.content"] == "第一段\u2028第二段\u2029\x85完"

    pages = ['{"errcode": 0, "external_contact_list": [{"name": "王\u2028芳"}]}',
             '{"errcode": 0, "external_contact_list": [{"name": "李雷"}]}']
    path = _deliver(tmp_path, "wecom", "2026-01-01", "contacts.json", "\n".join(pages) + "\n")
    assert [r.fields for r in read_json_pages(path, "external_contact_list").records] == [
        {"name": "王\u2028芳"}, {"name": "李雷"}]
    path = _deliver(tmp_path, "wecom", "2026-01-01", "broken.json", pages[0] + '\n\n{"errcode": 0,\n')
    with pytest.raises(MalformedFileError, match="invalid JSON at line 3 column"):
        read_json_pages(path, "external_contact_list")
