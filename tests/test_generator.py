"""The generator: deterministic, every format the real systems write, defects exactly as its
ground truth says, and each format round-trips through the real readers."""

import base64
import csv
import hashlib
import io
from dataclasses import replace
from pathlib import Path

import pytest

from orchestration.defs.ingest.crm.contracts import LEADS
from orchestration.defs.ingest.crm.systems import MappingError, file_specs
from orchestration.defs.ingest.finance.contracts import INVOICES
from orchestration.generator import GeneratorConfig, generate, read_manifest, read_truth
from orchestration.generator import mail
from orchestration.generator.sink import write_xlsx
from orchestration.lib.loader import collect
from orchestration.lib.readers import read_csv, read_eml, read_mbox, read_xlsx
from orchestration.validate import compare_with_truth, validate_landing

SMALL = GeneratorConfig(customers=200, days=120, seed=11)
# High defect rates so that a small run carries every kind of defect.
DEFECTIVE = replace(SMALL, bad_row_rate=0.05, redelivery_rate=0.05, company_typo_rate=0.2,
                    junk_mobile_rate=0.05, missing_message_id_rate=0.1, duplicate_message_rate=0.1)


def _tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("crm", ["salesforce", "chinese_crm"])
def test_same_seed_same_bytes_other_seed_other_data(tmp_path, crm):
    config = replace(SMALL, crm=crm)
    generate(tmp_path / "a", config)
    generate(tmp_path / "b", config)
    generate(tmp_path / "c", replace(config, seed=12))
    first = _tree_digest(tmp_path / "a")
    assert first == _tree_digest(tmp_path / "b")
    assert first != _tree_digest(tmp_path / "c")
    # Every kind of export is in the run, xlsx workbooks included (their zip stamps are fixed).
    suffixes = {Path(name).suffix for name in first}
    assert {".csv", ".jsonl", ".mbox", ".eml", ".xlsx", ".gz", ".json"} <= suffixes


def test_generating_into_a_folder_with_deliveries_is_refused(tmp_path):
    generate(tmp_path, SMALL)
    with pytest.raises(FileExistsError, match="already holds"):
        generate(tmp_path, SMALL)


@pytest.mark.parametrize("crm", ["salesforce", "chinese_crm"])
def test_contract_validation_catches_exactly_the_injected_defects(tmp_path, crm):
    manifest = generate(tmp_path, replace(DEFECTIVE, crm=crm))
    report = validate_landing(tmp_path)
    assert report.ok, report.unclaimed_files
    assert compare_with_truth(report, tmp_path) == []
    defects = manifest["defects"]
    for kind in ("bad_timestamp", "missing_id", "truncated_json", "bad_date_header", "duplicate_record",
                 "phone_format", "company_typo", "junk_mobile", "missing_message_id", "duplicate_message",
                 "redelivered_file", "name_variant"):
        assert defects.get(kind, 0) > 0, kind
    quarantined = sum(sum(e.quarantined.values()) for e in report.entities)
    assert quarantined == sum(q["rows"] for q in manifest["expected_quarantine"]) > 0
    assert sum(len(e.duplicate_files) for e in report.entities) == defects["redelivered_file"]


def test_ground_truth_links_every_record_to_one_customer(tmp_path):
    manifest = generate(tmp_path, SMALL)
    records = read_truth(tmp_path, "source_records")
    owners: dict[str, set[str]] = {}
    for row in records:
        owners.setdefault(row["record_id"], set()).add(row["customer_id"])
    assert all(len(customers) == 1 for customers in owners.values())
    # Customers appear in several systems under different keys.
    systems_per_customer: dict[str, set[str]] = {}
    for row in records:
        systems_per_customer.setdefault(row["customer_id"], set()).add(row["record_id"].split(":")[0])
    assert sum(len(s) >= 3 for s in systems_per_customer.values()) >= 5
    journeys = read_truth(tmp_path, "journeys")
    assert len(journeys) == manifest["journeys"]
    assert {j["outcome"] for j in journeys} == {"won", "lost", "open"}
    leads_in_truth = {j["lead_id"] for j in journeys if j["journey_type"] == "lead"}
    assert leads_in_truth == {r["record_id"].split(":", 2)[2] for r in records if r["record_id"].startswith("crm:lead:")}


# --- round trips through the real readers -------------------------------------------------------

def _message(subject_header: str, body: str, charset: str) -> bytes:
    return mail.render(mail.Mail("<m1@corp.cn>", "Tue, 01 Jul 2025 10:00:00 +0800", "a@corp.cn", "b@ourcompany.cn",
                                 subject_header, body, charset), "t")


def test_gb2312_and_gbk_encoded_words_decode_to_the_chinese_text(tmp_path):
    subject = "咨询：产品报价"
    headers = {"gb2312-B": mail.encoded_word(subject, "gb2312"), "gbk-Q": mail.encoded_word(subject, "gbk", "Q"),
               "utf-8-B": mail.encoded_word(subject, "utf-8")}
    assert headers["gb2312-B"] == "=?gb2312?B?" + base64.b64encode(subject.encode("gb2312")).decode() + "?="
    for name, header in headers.items():
        path = tmp_path / f"{name}.eml"
        path.write_bytes(_message(header, "正文", "utf-8"))
        (record,) = read_eml(path).records
        assert record.fields["Subject"] == subject, name


def test_gbk_body_labelled_gb2312_keeps_gbk_only_characters(tmp_path):
    body = "陶喆先生：报价见附件"  # 喆 is in GBK but not in GB2312
    with pytest.raises(UnicodeEncodeError):
        body.encode("gb2312")
    path = tmp_path / "m.eml"
    path.write_bytes(_message("=?utf-8?B?" + base64.b64encode("报价".encode()).decode() + "?=", body, "gb2312"))
    (record,) = read_eml(path).records
    assert record.fields["Body"] == body


def test_mbox_messages_read_back_one_record_each(tmp_path):
    from datetime import datetime, timezone

    when = datetime(2025, 7, 1, 2, tzinfo=timezone.utc)
    subjects = ["合作意向", "试用申请", "续费咨询"]
    data = b"".join(
        mail.mbox_entry(_message(mail.encoded_word(s, "gb2312"), f"From the desk of 王芳\n第{i}封", "gbk"), "a@corp.cn", when)
        for i, s in enumerate(subjects))
    path = tmp_path / "mailbox.mbox"
    path.write_bytes(data)
    records = list(read_mbox(path).records)
    assert [r.line for r in records] == [1, 2, 3]
    assert [r.fields["Subject"] for r in records] == subjects
    assert all("王芳" in r.fields["Body"] for r in records)


def _converted(parsed, contract):
    return [contract.convert(r.fields) for r in parsed.records]


def test_xlsx_export_converts_to_the_same_rows_as_its_csv_twin(tmp_path):
    header = ["发票代码", "发票号码", "开票日期", "销方识别号", "销方名称", "购方识别号", "购买方名称", "货物或应税劳务名称",
              "金额", "税率", "税额", "价税合计", "发票票种", "发票状态", "是否正数发票", "开票人", "备注"]
    rows = [["", "25310701000000000100", "2025-07-01 10:00:00", "", "上海示例软件有限公司", "91350100M000100Y43",
             "华通科技（北京）有限公司", "*信息技术服务*软件服务费", "18679.25", "6%", "1120.75", "19800.00", "数电票",
             "正常", "是", "王会计", ""],
            ["", "25310701000000000150", "2025-07-03 10:00:00", "", "上海示例软件有限公司", "91350100M000100Y43",
             "华通科技（北京）有限公司", "*信息技术服务*软件服务费", "-18679.25", "6%", "-1120.75", "-19800.00", "数电票",
             "正常", "否", "王会计", "被红冲蓝字数电发票号码：25310701000000000100"]]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *rows])
    (tmp_path / "invoices.csv").write_bytes(buffer.getvalue().encode("gbk"))
    write_xlsx(tmp_path / "invoices.xlsx", buffer.getvalue(), ("金额", "税额", "价税合计"))
    from_csv = _converted(read_csv(tmp_path / "invoices.csv"), INVOICES)
    from_xlsx = _converted(read_xlsx(tmp_path / "invoices.xlsx"), INVOICES)
    assert from_xlsx == from_csv
    assert [str(r["amount_total"]) for r in from_csv] == ["19800.00", "-19800.00"]


def test_chinese_crm_export_maps_onto_the_lead_contract(tmp_path):
    generate(tmp_path, replace(SMALL, crm="chinese_crm"))
    batch, report = collect(LEADS, tmp_path, file_specs(LEADS))
    assert report.rows_loaded > 0 and not report.unknown_columns
    assert {row["_source_system"] for row in batch.rows} == {"chinese_crm"}
    assert {row["status"] for row in batch.rows} <= {"待跟进", "跟进中", "已转化", "无效"}
    truth_leads = {j["lead_id"] for j in read_truth(tmp_path, "journeys") if j["journey_type"] == "lead"}
    assert {row["lead_id"] for row in batch.rows} == truth_leads
    assert all(row["created_at"].tzinfo is not None for row in batch.rows)
    assert any(f.file.endswith(".xlsx") for f in report.files) and any(f.file.endswith(".csv") for f in report.files)


def test_a_mapping_onto_an_unknown_field_names_the_file(tmp_path):
    (tmp_path / "vendor.yaml").write_text(
        "system: vendor\nentities:\n  leads:\n    files: ['leads_*.csv']\n    columns: {编号: lead_number}\n",
        encoding="utf-8")
    with pytest.raises(MappingError, match=r"vendor\.yaml.*lead_number"):
        file_specs(LEADS, tmp_path)


def test_manifest_records_the_settings_of_the_run(tmp_path):
    generate(tmp_path, SMALL)
    settings = read_manifest(tmp_path)["settings"]
    assert (settings["customers"], settings["days"], settings["seed"], settings["crm"]) == (200, 120, 11, "salesforce")


def test_docs_sources_is_generated_from_the_contracts():
    from orchestration.docs_sources import DOC_PATH, render_sources_doc

    assert DOC_PATH.read_text(encoding="utf-8") == render_sources_doc(), "docs/sources.md is stale: run `funnel docs`"
