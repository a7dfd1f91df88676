"""The headline metrics in the dbt semantic layer: `mf query` (MetricFlow) against the demo's
warehouse returns, month by month, the same rates as summing the published marts' numerators and
denominators by hand."""

from __future__ import annotations

import csv
import subprocess

import duckdb
import pytest

from conftest import BIN, PROJECT_ROOT, command_env

METRICS = {
    "lead_in_rate": ("mart_intake_daily", "day", "usable_inbound_contacts", "inbound_contacts"),
    "stage_conversion_rate": ("mart_stage_conversion", "cohort_month", "reached_to_count", "reached_from_count"),
    "revisit_rate": ("mart_revisit", "won_month", "covered_checkpoints", "due_checkpoints"),
}


def test_headline_metrics_query_through_metricflow(demo, tmp_path):
    dbt_dir = PROJECT_ROOT / "dbt_project"
    env = {**command_env(demo.home), "DBT_PROFILES_DIR": str(dbt_dir)}
    # `mf` reads the semantic manifest from the project's target/ whatever DBT_TARGET_PATH says
    # (a test worker's own folder), so the parse goes where a user's would; no other test writes there.
    env.pop("DBT_TARGET_PATH", None)
    subprocess.run([str(BIN / "dbt"), "parse", "--quiet"], cwd=dbt_dir, env=env, check=True, timeout=300)
    out = tmp_path / "metrics.csv"
    completed = subprocess.run(
        [str(BIN / "mf"), "query", "--metrics", ",".join(METRICS), "--group-by", "metric_time__month",
         "--csv", str(out), "--quiet"], cwd=dbt_dir, env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    with out.open(newline="") as handle:
        rows = {row["metric_time__month"][:10]: row for row in csv.DictReader(handle)}

    with duckdb.connect(str(demo.home.serving), read_only=True) as conn:
        for metric, (mart, period, numerator, denominator) in METRICS.items():
            expected = dict(conn.execute(
                f"SELECT strftime(date_trunc('month', {period}), '%Y-%m-%d'), sum({numerator}) / nullif(sum({denominator}), 0)"
                f" FROM {mart} GROUP BY 1").fetchall())
            got = {month: float(row[metric]) if row[metric] else None for month, row in rows.items()
                   if month in expected}
            assert got.keys() == expected.keys(), metric
            assert got == pytest.approx(expected, abs=1e-9), metric
