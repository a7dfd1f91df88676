"""Gating and idempotence on a private copy of the demo's home, with real Dagster + dbt runs."""

import hashlib
import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtProject

from conftest import funnel, run_pipeline
from orchestration.settings import DBT_PROJECT_DIR
from orchestration.summary import layer_row_counts


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _published_rows(path) -> dict[str, list]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return {
            table: conn.execute(f'SELECT * FROM "{table}" ORDER BY ALL').fetchall()
            for table in ("mart_stage_conversion", "dim_customer", "publish_log")
        }


def _deliver_history_row(home, history_id: str, changes: dict[int, str]) -> None:
    """A new delivery (2026-01-05) with one more stage-history row: a copy of the first delivered
    row under a new id, dated 2025-12-30, with ``changes`` (column index → value) applied."""
    header, first = home.files("crm", "OpportunityHistory_*.csv")[0].read_text(encoding="utf-8").splitlines()[:2]
    fields = first.split(",")
    fields[0], fields[6] = history_id, "2025-12-30T01:00:00.000+0000"
    for column, value in changes.items():
        fields[column] = value
    new_delivery = home.landing / "crm" / "2026-01-05"
    new_delivery.mkdir()
    (new_delivery / "OpportunityHistory_20260104.csv").write_text(f"{header}\n{','.join(fields)}\n", encoding="utf-8")


KEYS_QUERY = "SELECT record_id, customer_key FROM marts.bridge_customer_source_record ORDER BY record_id"
HISTORY_QUERY = ("SELECT member_fingerprint, customer_key, member_records, first_built_at, retired_at"
                 " FROM intermediate.int_identity__key_history ORDER BY member_fingerprint, customer_key")


def test_rerunning_the_same_delivery_changes_no_row_counts_and_no_customer_keys(copied_home):
    before = layer_row_counts(copied_home.warehouse)
    published_before = _published_rows(copied_home.serving)
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        keys_before = conn.execute(KEYS_QUERY).fetchall()
        history_before = conn.execute(HISTORY_QUERY).fetchall()

    runs = run_pipeline()

    assert runs.success
    result = runs.nightly
    layers_after = layer_row_counts(copied_home.warehouse)
    # The key history is the one table meant to grow over runs; here it must not (same members).
    assert layers_after == before
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        assert conn.execute(KEYS_QUERY).fetchall() == keys_before
        history_after = conn.execute(HISTORY_QUERY).fetchall()
    # Every member set is in the history once, with one key, current, and left as the first run
    # wrote it (same members: nothing to retire, nothing new).
    assert history_after == history_before
    assert len({row[0] for row in history_after}) == len(history_after) == len({key for _, key in keys_before})
    assert all(retired_at is None for *_, retired_at in history_after)
    published_after = _published_rows(copied_home.serving)
    assert published_after["mart_stage_conversion"] == published_before["mart_stage_conversion"]
    assert published_after["dim_customer"] == published_before["dim_customer"]
    # The new publication is logged beside the old one, carrying its run id.
    assert {row[1] for row in published_after["publish_log"]} >= {result.run_id}
    # Its quality report sits next to the serving store and is linked from the publish metadata.
    report = copied_home.serving.parent / "reports" / f"quality_{result.run_id}.md"
    publish = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
                   and e.asset_key == dg.AssetKey(["serving", "published_marts"]))
    assert publish.event_specific_data.materialization.metadata["quality_report"].value == str(report)
    text = report.read_text(encoding="utf-8")
    assert (copied_home.serving.parent / "quality_report.md").read_text(encoding="utf-8") == text
    version = [row for row in published_after["publish_log"] if row[1] == result.run_id][0][0]
    assert f"Published version **{version}**" in text
    checks = [e for e in result.all_events if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
    warned = sum(1 for e in checks if not e.event_specific_data.passed)
    assert f"{len(checks)} run: {len(checks) - warned} passed, 0 failed, {warned} warned." in text
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        quarantined = conn.execute("SELECT count(*) FROM ingest.quarantine").fetchone()[0]
    assert f"{quarantined} rows in `ingest.quarantine`" in text


def test_a_failing_check_stops_publication_and_keeps_the_published_marts(copied_home):
    published_digest = _digest(copied_home.serving)
    published_rows = _published_rows(copied_home.serving)
    # A corrected delivery brings a stage change with a vendor stage the stage map does not know.
    _deliver_history_row(copied_home, "0085g00000UNKNOWN1", {2: "Verbal Commit"})

    # The headless nightly, as cron would run it: it ingests only the new delivery, then must fail
    # loudly, not publish, and alert.
    completed = funnel("run", home=copied_home)

    assert completed.returncode == 1, completed.stdout[-3000:] + completed.stderr[-3000:]
    out = completed.stdout
    assert "Ingesting deliveries 2026-01-05 to 2026-01-05" in out
    assert "(ingest_deliveries): SUCCESS" in out and "(nightly_funnel): FAILED" in out
    assert "check FAILED intermediate/int_stage_events:not_null_int_stage_events_canonical_stage" in completed.stderr
    assert "FAILED intermediate/int_stage_events:not_null_int_stage_events_canonical_stage" in out
    assert "(an EARLIER run: this run did not publish)" in out
    instance = dg.DagsterInstance.get()
    nightly = instance.get_runs(dg.RunsFilter(job_name="nightly_funnel"), limit=1)[0]
    assert nightly.status == dg.DagsterRunStatus.FAILURE
    report = copied_home.serving.parent / "reports" / f"quality_{nightly.run_id}.md"
    assert f"Quality report: {report}" in out
    assert "not_null_int_stage_events_canonical_stage" in report.read_text(encoding="utf-8")
    alerts_log = copied_home.serving.parent / "alerts.log"
    (alert,) = [json.loads(line) for line in alerts_log.read_text(encoding="utf-8").splitlines()]
    assert alert["run_id"] == nightly.run_id and alert["quality_report"] == str(report)
    # A daemon on the same home sees the failed run too; its sensor leaves the alert to the CLI.
    from orchestration.defs.quality.alerts import alert_on_failed_runs

    failure = instance.get_records_for_run(nightly.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records[0]
    alert_on_failed_runs(dg.build_run_status_sensor_context(
        sensor_name="alert_on_failed_runs", dagster_instance=instance, dagster_run=nightly,
        dagster_event=failure.event_log_entry.dagster_event).for_run_failure())
    assert len(alerts_log.read_text(encoding="utf-8").splitlines()) == 1
    assert _digest(copied_home.serving) == published_digest
    assert _published_rows(copied_home.serving) == published_rows

    # Publishing on its own afterwards is refused too: the marts' checks did not pass on their latest
    # build. The refusal says why, one line per problem.
    publish_only = funnel("publish", home=copied_home)
    assert publish_only.returncode == 1
    errors = publish_only.stderr.splitlines()
    assert any(line.startswith("Not published: the audit did not pass. The previous version stays published.")
               for line in errors)
    assert "  intermediate/int_stage_events: check not_null_int_stage_events_canonical_stage failed" in errors
    assert _digest(copied_home.serving) == published_digest


def test_a_kpi_defect_fails_the_gx_suite_and_publication_is_refused(copied_home):
    published_digest = _digest(copied_home.serving)
    with duckdb.connect(str(copied_home.warehouse)) as conn:
        conn.execute("UPDATE marts.mart_stage_conversion SET stage_conversion_rate = 1.5 WHERE step = 1")

    from orchestration.definitions import defs

    instance = dg.DagsterInstance.ephemeral()
    mart = dg.AssetKey(["marts", "mart_stage_conversion"])
    audit_only = dg.define_asset_job(
        "audit_only", selection=dg.AssetSelection.checks(dg.AssetCheckKey(mart, "gx_mart_stage_conversion"))
    )
    audit = (
        dg.Definitions.merge(defs, dg.Definitions(jobs=[audit_only]))
        .resolve_job_def("audit_only")
        .execute_in_process(instance=instance, raise_on_error=False)
    )
    (evaluation,) = [
        e.event_specific_data for e in audit.all_events if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    (failure,) = evaluation.metadata["failed_expectations"].value
    assert failure["expectation"] == "expect_column_values_to_be_between" and "1.5" in failure["examples"]

    publish_only = defs.resolve_job_def("nightly_funnel").execute_in_process(
        instance=instance, asset_selection=[dg.AssetKey(["serving", "published_marts"])], raise_on_error=False
    )
    assert not publish_only.success
    assert _digest(copied_home.serving) == published_digest


def _project_with_a_kpi_regression(root: Path) -> Path:
    """A copy of the dbt project where K09 divides the wrong way round (from ÷ to, so every step
    with drop-off shows a rate above 1), with the model's unit tests gone: the regression has
    slipped past review, and only the data checks stand between it and the published marts."""
    project = root / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    mart = project / "models" / "marts" / "kpi" / "mart_stage_conversion.sql"
    sql = mart.read_text(encoding="utf-8")
    assert "safe_divide('reached_to_count', 'reached_from_count')" in sql
    mart.write_text(sql.replace("safe_divide('reached_to_count', 'reached_from_count')",
                                "safe_divide('reached_from_count', 'reached_to_count')"), encoding="utf-8")
    spec = mart.with_suffix(".yml")
    spec.write_text(spec.read_text(encoding="utf-8").split("\nunit_tests:")[0] + "\n", encoding="utf-8")
    return project


def test_a_kpi_regression_is_caught_in_a_full_nightly_run_and_nothing_is_published(copied_home, tmp_path):
    published_digest = _digest(copied_home.serving)
    published_rows = _published_rows(copied_home.serving)
    from orchestration.definitions import defs

    from orchestration.defs.dbt.assets import build_dbt_assets, funnel_dbt_models

    project_dir = _project_with_a_kpi_regression(tmp_path)
    project = DbtProject(project_dir=project_dir, profiles_dir=project_dir)
    project.preparer.prepare(project)
    assets = [build_dbt_assets(project), *(a for a in defs.assets if a is not funnel_dbt_models)]
    patched = dg.Definitions(assets=assets, asset_checks=defs.asset_checks, jobs=defs.jobs,
                             executor=defs.executor, resources=defs.resources)
    result = patched.resolve_job_def("nightly_funnel").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)

    assert not result.success
    mart = dg.AssetKey(["marts", "mart_stage_conversion"])
    failed = [(e.event_specific_data.asset_key, e.event_specific_data.check_name)
              for e in result.all_events if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
              and not e.event_specific_data.passed]
    # The mart was rebuilt with the wrong formula, and its range test is the one check that failed.
    assert [key for key, _ in failed] == [mart]
    assert "stage_conversion_rate" in failed[0][1]
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        assert conn.execute("SELECT max(stage_conversion_rate) FROM marts.mart_stage_conversion").fetchone()[0] > 1
    materialized = {e.asset_key for e in result.all_events if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION}
    assert mart in materialized and dg.AssetKey(["serving", "published_marts"]) not in materialized
    # BI tools still read yesterday's marts, unchanged to the byte, with every rate within [0, 1].
    assert _digest(copied_home.serving) == published_digest
    assert _published_rows(copied_home.serving) == published_rows
    with duckdb.connect(str(copied_home.serving), read_only=True) as conn:
        assert conn.execute("SELECT max(stage_conversion_rate) FROM mart_stage_conversion").fetchone()[0] <= 1


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_defect_only_a_staging_suite_catches_still_blocks_publication(copied_home, monkeypatch):
    """A corrected delivery carries a negative opportunity amount: no dbt test minds, the Great
    Expectations suite on the staging table does, and nothing is published. The run-failure
    sensor then writes the quality report and raises the alert (log line and webhook)."""
    published_digest = _digest(copied_home.serving)
    _deliver_history_row(copied_home, "0085g00000NEGATIVE", {3: "-5000.00"})

    instance = dg.DagsterInstance.ephemeral()
    runs = run_pipeline(instance, ("2026-01-05", "2026-01-05"))

    assert runs.ingest.success and not runs.nightly.success
    evaluations = [e.event_specific_data for e in runs.nightly.all_events
                   if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
    failed = {evaluation.check_name for evaluation in evaluations if not evaluation.passed}
    assert failed == {"gx_stg_crm__opportunity_history"}
    materialized = {e.asset_key for e in runs.nightly.all_events if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION}
    assert dg.AssetKey(["serving", "published_marts"]) not in materialized
    assert _digest(copied_home.serving) == published_digest

    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("FUNNEL_ALERT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/hook")
    from orchestration.defs.quality.alerts import alert_on_failed_runs

    run_id = runs.nightly.run_id
    failure = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records[0]
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_failed_runs", dagster_instance=instance, dagster_run=instance.get_run_by_id(run_id),
        dagster_event=failure.event_log_entry.dagster_event).for_run_failure()
    try:
        alert_on_failed_runs(context)
    finally:
        server.shutdown()
    serving_dir = copied_home.serving.parent
    (alert,) = [json.loads(line) for line in (serving_dir / "alerts.log").read_text(encoding="utf-8").splitlines()]
    assert _Webhook.received == [alert]
    assert alert["run_id"] == run_id and alert["failed_checks"] == ["staging/stg_crm__opportunity_history: gx_stg_crm__opportunity_history"]
    text = (serving_dir / "quality_report.md").read_text(encoding="utf-8")
    assert alert["quality_report"] == str(serving_dir / "reports" / f"quality_{run_id}.md")
    assert "**Nothing was published by this run.**" in text and alert["still_published"]["version"] in text
    # The publish step refused and said why; the report lists the failed check with its example.
    assert "- staging/stg_crm__opportunity_history: check gx_stg_crm__opportunity_history failed" in text
    failed_rows = [line for line in text.splitlines() if line.startswith("| FAILED |")]
    assert len(failed_rows) == 1 and "gx_stg_crm__opportunity_history" in failed_rows[0] and "-5000" in failed_rows[0]


def test_a_delivery_that_loses_many_rows_fails_the_row_count_check_against_the_previous_run(copied_home):
    """The CRM re-delivers the Lead exports of the later half of the window empty (a broken
    export job): every file is a valid correction, but the staged leads drop by far more than
    the suite allows against the previous run, so nothing is published."""
    published_digest = _digest(copied_home.serving)
    lead_files = copied_home.files("crm", "Lead_*.csv")
    rewritten = lead_files[len(lead_files) // 2:]
    for path in rewritten:
        header = path.read_text(encoding="utf-8-sig" if path.read_bytes()[:3] == b"\xef\xbb\xbf" else "utf-8").splitlines()[0]
        path.write_text(header + "\n", encoding="utf-8")
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        before = conn.execute("SELECT count(*) FROM staging.stg_crm__leads").fetchone()[0]

    # The corrected deliveries are re-loaded with a backfill over their dates, on the demo's run
    # history (which holds the previous run's counts).
    completed = funnel("backfill", "--from", rewritten[0].parent.name, "--to", rewritten[-1].parent.name,
                       home=copied_home)

    assert completed.returncode == 1, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert f"Ingesting deliveries {rewritten[0].parent.name} to {rewritten[-1].parent.name}" in completed.stdout
    assert "(ingest_deliveries): SUCCESS" in completed.stdout and "(nightly_funnel): FAILED" in completed.stdout
    instance = dg.DagsterInstance.get()
    nightly = instance.get_runs(dg.RunsFilter(job_name="nightly_funnel"), limit=1)[0]
    evaluation = next(
        r.event_log_entry.dagster_event.event_specific_data
        for r in instance.get_records_for_run(nightly.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
        if r.event_log_entry.dagster_event.event_specific_data.check_name == "gx_stg_crm__leads")
    assert not evaluation.passed
    assert evaluation.metadata["rows_previous_run"].value == before
    failed = [f["expectation"] for f in evaluation.metadata["failed_expectations"].value]
    assert failed == ["expect_table_row_count_to_be_between"]
    assert evaluation.metadata["rows_validated"].value < 0.9 * before
    assert _digest(copied_home.serving) == published_digest
