"""The README's first command: the whole graph on the sample, published, summarised."""

import duckdb
import dagster as dg

from orchestration.lib.serving_store import current_version
from orchestration.defs.ingest import ENTITIES
from orchestration.generator import read_manifest, read_truth


def test_demo_publishes_conversion_mart_and_customer_view(demo):
    published = current_version(demo.home.serving)
    assert published is not None
    with duckdb.connect(str(demo.home.serving), read_only=True) as conn:
        tables = {row[0] for row in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert {"mart_stage_conversion", "dim_customer", "bridge_customer_source_record", "fct_touchpoints",
                "publish_log"} <= tables
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
    # The run's quality report, written next to the serving store, is named in the summary.
    run_id = current_version(demo.home.serving)["run_id"]
    report = demo.home.serving.parent / "reports" / f"quality_{run_id}.md"
    assert f"Quality report: {report}" in out
    assert report.read_text(encoding="utf-8").startswith(f"# Quality report — run {run_id}\n")


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")  # finance and Chinese CRM exports are GBK


def test_quarantine_holds_exactly_the_injected_defects_with_file_line_and_reason(demo):
    with duckdb.connect(str(demo.home.warehouse), read_only=True) as conn:
        rows = conn.execute(
            "SELECT source, entity, source_file, source_line, reason, raw_text FROM ingest.quarantine"
        ).fetchall()
    for source, entity, source_file, source_line, reason, raw_text in rows:
        assert source_file.startswith(f"{source}/") and source_line >= 1 and reason and raw_text
        # The line number points at the quarantined text in the delivered file.
        if source_file.endswith((".csv", ".jsonl")):
            lines = _decoded((demo.home.landing / source_file).read_bytes()).splitlines()
            assert lines[source_line - 1] == raw_text
    injected = {(d["source"], d["entity"], d["file"], int(d["line"]), d["expected"].removeprefix("quarantine:"))
                for d in read_truth(demo.home.landing, "defects") if d["expected"].startswith("quarantine:")}
    assert injected, "the sample must carry defects to quarantine"
    assert {row[:5] for row in rows} == injected
    assert len(rows) == sum(q["rows"] for q in read_manifest(demo.home.landing)["expected_quarantine"])


def test_redelivered_files_are_skipped_not_loaded_twice(demo):
    copies = {d["copy"] for d in read_manifest(demo.home.landing)["expected_duplicate_files"]}
    assert copies
    with duckdb.connect(str(demo.home.warehouse), read_only=True) as conn:
        loaded_files = set()
        for contract, _ in ENTITIES:
            loaded_files |= {r[0] for r in conn.execute(f"SELECT DISTINCT _source_file FROM {contract.table}").fetchall()}
    assert not copies & loaded_files


def test_ingest_metadata_reconciles_read_loaded_quarantined(demo):
    instance = dg.DagsterInstance.from_config(str(demo.home.dagster_home))
    keys = [[contract.schema, contract.entity] for contract, _ in ENTITIES]
    assert len(keys) == 10
    with duckdb.connect(str(demo.home.warehouse), read_only=True) as conn:
        for key in keys:
            event = instance.get_latest_materialization_event(dg.AssetKey(key))
            assert event is not None, key
            meta = event.asset_materialization.metadata
            read, loaded, quarantined, skipped = (
                meta[k].value for k in ("rows_read", "rows_loaded", "rows_quarantined", "rows_skipped"))
            assert read == loaded + quarantined + skipped, key
            table_rows = conn.execute(f"SELECT count(*) FROM {key[0]}.{key[1]}").fetchone()[0]
            assert table_rows == loaded, key
        # The same reconciliation holds per file in the file registry, and skipped rows are exactly
        # those of the files delivered twice.
        unbalanced = conn.execute("SELECT file FROM ingest.files "
                                  "WHERE rows_read != rows_loaded + rows_quarantined + rows_skipped").fetchall()
        assert unbalanced == []
        duplicates = {r[0] for r in conn.execute("SELECT file FROM ingest.files WHERE status = 'duplicate'").fetchall()}
    assert duplicates == {d["copy"] for d in read_manifest(demo.home.landing)["expected_duplicate_files"]}


def test_a_backfill_lists_a_bounded_file_table_with_the_files_needing_a_look_first(demo):
    # Dagster stores a range run's metadata once per partition: the table must not grow with the
    # files of the whole range, and what it leaves out is in ingest.files.
    instance = dg.DagsterInstance.from_config(str(demo.home.dagster_home))
    meta = instance.get_latest_materialization_event(
        dg.AssetKey(["raw_email", "messages"])).asset_materialization.metadata
    with duckdb.connect(str(demo.home.warehouse), read_only=True) as conn:
        registered = conn.execute("SELECT count(*) FROM ingest.files WHERE source = 'email'").fetchone()[0]
        attention = {r[0] for r in conn.execute(
            "SELECT file FROM ingest.files WHERE source = 'email' AND (status != 'loaded' OR rows_quarantined > 0)"
        ).fetchall()}
    assert registered > 50 and 0 < len(attention) < 50
    assert meta["files_read"].value == registered
    assert meta["files_needing_a_look"].value == len(attention)
    table = meta["files"].value
    listed = [line.split(" | ")[0].removeprefix("| ") for line in table.splitlines()[2:] if line.startswith("| ")]
    assert len(listed) == 50
    assert set(listed[:len(attention)]) == attention
    assert f"{registered - 50} more file(s)" in table
