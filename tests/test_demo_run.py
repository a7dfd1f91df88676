"""The README's first command: the whole graph on the sample, published, summarised."""

import duckdb
import dagster as dg

from orchestration.defs.publish.serving import current_version
from orchestration.sample.generate import DEFECTS


def test_demo_publishes_conversion_mart_and_customer_view(demo):
    published = current_version(demo.home.serving)
    assert published is not None
    with duckdb.connect(str(demo.home.serving), read_only=True) as conn:
        tables = {row[0] for row in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert {"mart_stage_conversion", "dim_customer", "publish_log"} <= tables
        assert conn.execute("SELECT count(*) FROM mart_stage_conversion").fetchone()[0] > 0
        assert conn.execute("SELECT count(*) FROM dim_customer").fetchone()[0] > 0
        log_runs = {row[0] for row in conn.execute("SELECT DISTINCT run_id FROM publish_log").fetchall()}
    assert log_runs == {published["run_id"]}


def test_demo_prints_layers_checks_and_where_marts_are(demo):
    out = demo.output
    assert "SUCCESS" in out
    for layer in ("raw", "staging", "intermediate", "marts"):
        assert f"\n  {layer} " in out
    assert " passed, 0 failed" in out
    assert str(demo.home.serving) in out
    assert "read_only=True" in out


def test_every_planted_defect_is_quarantined_with_file_line_and_reason(demo):
    with duckdb.connect(str(demo.home.warehouse), read_only=True) as conn:
        rows = conn.execute(
            "SELECT source, entity, source_file, source_line, reason, raw_text FROM ingest.quarantine"
        ).fetchall()
    by_entity: dict[tuple[str, str], int] = {}
    for source, entity, source_file, source_line, reason, raw_text in rows:
        by_entity[(source, entity)] = by_entity.get((source, entity), 0) + 1
        assert source_file.startswith(f"{source}/") and source_line >= 1 and reason and raw_text
        # The line number points at the quarantined text in the delivered file.
        if source_file.endswith((".csv", ".jsonl")):
            data = (demo.home.landing / source_file).read_bytes()
            text = data.decode("gb18030") if "finance" in source_file else data.decode("utf-8-sig")
            assert text.splitlines()[source_line - 1] == raw_text
    assert by_entity == DEFECTS


def test_ingest_metadata_reconciles_read_loaded_quarantined(demo):
    instance = dg.DagsterInstance.from_config(str(demo.home.dagster_home))
    keys = [
        ["raw_crm", "leads"], ["raw_crm", "opportunities"], ["raw_crm", "opportunity_history"],
        ["raw_crm", "tasks"], ["raw_wecom", "external_contacts"], ["raw_wecom", "messages"],
        ["raw_email", "messages"], ["raw_finance", "invoices"], ["raw_finance", "bank_receipts"],
    ]
    with duckdb.connect(str(demo.home.warehouse), read_only=True) as conn:
        for key in keys:
            event = instance.get_latest_materialization_event(dg.AssetKey(key))
            assert event is not None, key
            meta = event.asset_materialization.metadata
            read, loaded, quarantined = (meta[k].value for k in ("rows_read", "rows_loaded", "rows_quarantined"))
            assert read == loaded + quarantined, key
            table_rows = conn.execute(f"SELECT count(*) FROM {key[0]}.{key[1]}").fetchone()[0]
            assert table_rows == loaded, key
