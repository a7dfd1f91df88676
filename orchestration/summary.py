"""What a run did, for people: rows per layer, quarantine, checks, and what was published."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.defs.quality.report import quarantine_counts, report_path
from orchestration.lib.serving_store import current_version

_LAYER_OF_SCHEMA = {"staging": "staging", "intermediate": "intermediate", "marts": "marts", "config": "config"}


def layer_row_counts(warehouse_path: Path) -> dict[str, dict[str, int]]:
    """{layer: {schema.table: rows}} for raw_*, staging, intermediate, marts, config and ingest tables."""
    layers: dict[str, dict[str, int]] = {}
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        tables = conn.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal "
            "ORDER BY 1, 2"
        ).fetchall()
        for schema, table in tables:
            layer = "raw" if schema.startswith("raw_") else _LAYER_OF_SCHEMA.get(schema, schema)
            count = conn.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]
            layers.setdefault(layer, {})[f"{schema}.{table}"] = count
    return layers


@dataclass
class RunSummary:
    run_id: str  # the last run: the one that publishes
    success: bool
    runs: list[tuple[str, str, bool]] = field(default_factory=list)  # job, run id, success
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    checks_warned: list[str] = field(default_factory=list)
    step_failures: list[str] = field(default_factory=list)


def summarise_runs(results: list[dg.ExecuteInProcessResult]) -> RunSummary:
    """Checks and failures over the runs of one pipeline pass (ingest, then nightly)."""
    summary = RunSummary(results[-1].run_id, all(r.success for r in results),
                         [(r.job_def.name, r.run_id, r.success) for r in results])
    for event in (e for r in results for e in r.all_events):
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            if evaluation.passed:
                summary.checks_passed += 1
            elif evaluation.severity == dg.AssetCheckSeverity.WARN:
                summary.checks_warned.append(name)
            else:
                summary.checks_failed.append(name)
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            error = event.event_specific_data.error
            summary.step_failures.append(f"{event.step_key}: {error.message.strip() if error else event.message}")
    return summary


def render(run: RunSummary, warehouse_path: Path, serving_path: Path) -> str:
    lines = [f"Run {run_id} ({job}): {'SUCCESS' if ok else 'FAILED'}" for job, run_id, ok in run.runs]
    lines += ["", "Rows per layer"]
    try:
        layers = layer_row_counts(warehouse_path)
    except duckdb.Error as exc:
        layers = {}
        lines.append(f"  (warehouse unreadable: {exc})")
    for layer in ["raw", "staging", "intermediate", "marts", "config", "ingest"]:
        tables = layers.get(layer, {})
        if tables:
            lines.append(f"  {layer:<13} {len(tables):>3} tables {sum(tables.values()):>9} rows")
    quarantined = quarantine_counts(warehouse_path)[0] if layers else []
    total = sum(row[3] for row in quarantined)
    lines += ["", f"Quarantined rows: {total} (table ingest.quarantine, with file, line and reason)"]
    by_reason = Counter()
    for source, entity, reason, count in quarantined:
        by_reason[f"{source}/{entity} {reason}"] += count
    lines += [f"  {key}: {count}" for key, count in sorted(by_reason.items())]
    lines += ["", f"Checks: {run.checks_passed} passed, {len(run.checks_failed)} failed, "
              f"{len(run.checks_warned)} warned"]
    lines += [f"  FAILED {name}" for name in run.checks_failed]
    lines += [f"  warn   {name}" for name in run.checks_warned]
    if run.step_failures:
        lines += ["", "Failed steps:"] + [f"  {failure}" for failure in run.step_failures]
    report = report_path(serving_path.parent, run.run_id)
    if report.exists():
        lines += ["", f"Quality report: {report}"]
    published = current_version(serving_path)
    lines.append("")
    if published is None:
        lines.append(f"Nothing published yet at {serving_path}")
    else:
        fresh = published["run_id"] == run.run_id
        lines.append(
            f"Published marts: {serving_path}\n"
            f"  version {published['version']} from run {published['run_id']}"
            f"{'' if fresh else '  (an EARLIER run: this run did not publish)'}"
        )
        with duckdb.connect(str(serving_path), read_only=True) as conn:
            for (table,) in conn.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
                rows = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                lines.append(f"  {table:<32} {rows:>7} rows")
        lines += [
            "  Open it read-only, e.g.:",
            f"    python -c \"import duckdb; print(duckdb.connect('{serving_path}', read_only=True)"
            ".sql('from mart_stage_conversion limit 10'))\"",
            "    Metabase/Superset: a DuckDB connection to that file, read-only.",
        ]
    return "\n".join(lines)
