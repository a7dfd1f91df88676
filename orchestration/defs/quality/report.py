"""The quality report of a run, in Markdown: which checks ran, passed and failed (with failing
examples), which rows were quarantined and why, and what was published — or why nothing was and
which version stays published.

Written next to the serving store (``reports/quality_<run id>.md``, and ``quality_report.md`` for
the latest run) by the publish step, and by the run-failure sensor for a run that never reached it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.lib.serving_store import PUBLISH_LOG, current_version

REPORTS_DIR = "reports"
LATEST_REPORT = "quality_report.md"
_EXAMPLE_CHARS = 600


@dataclass
class CheckOutcome:
    asset: str
    name: str
    passed: bool
    severity: str
    details: str

    @property
    def failed(self) -> bool:
        """Failed with error severity: blocks publication."""
        return not self.passed and self.severity != "WARN"

    @property
    def warned(self) -> bool:
        return not self.passed and self.severity == "WARN"


@dataclass
class RunQuality:
    run_id: str
    job_name: str
    checks: list[CheckOutcome] = field(default_factory=list)
    quarantine: list[tuple[str, str, str, int]] = field(default_factory=list)
    quarantine_note: str = ""
    published: dict | None = None
    still_published: dict | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[CheckOutcome]:
        return [c for c in self.checks if c.failed]

    @property
    def warned(self) -> list[CheckOutcome]:
        return [c for c in self.checks if c.warned]


def _details(metadata: dict) -> str:
    """The failing examples a check left in its metadata (GX: the expectations and unexpected
    values; dbt: the failed-row count and the test's SQL is in dbt's own log)."""
    shown = {}
    for key, value in metadata.items():
        raw = getattr(value, "value", value)
        if key in ("failed_expectations", "dagster_dbt/failed_row_count", "unexpected_count") or "fail" in key:
            shown[key] = raw
    text = json.dumps(shown, ensure_ascii=False, default=str) if shown else ""
    return text[:_EXAMPLE_CHARS] + ("…" if len(text) > _EXAMPLE_CHARS else "")


def check_outcomes(instance: dg.DagsterInstance, run_id: str) -> list[CheckOutcome]:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    outcomes = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        outcomes.append(CheckOutcome(
            asset=evaluation.asset_key.to_user_string(), name=evaluation.check_name, passed=evaluation.passed,
            severity=evaluation.severity.value if evaluation.severity else "ERROR",
            details="" if evaluation.passed else _details(evaluation.metadata or {})))
    return sorted(outcomes, key=lambda c: (c.passed, c.asset, c.name))


def quarantine_counts(warehouse_path: Path) -> tuple[list[tuple[str, str, str, int]], str]:
    """Quarantined rows by source, entity and reason; a note instead when the warehouse cannot be read."""
    if not warehouse_path.exists():
        return [], "no warehouse yet"
    try:
        with duckdb.connect(str(warehouse_path), read_only=True) as conn:
            return [tuple(row) for row in conn.execute(
                "SELECT source, entity, reason, count(*) FROM ingest.quarantine GROUP BY ALL ORDER BY ALL").fetchall()], ""
    except duckdb.Error as exc:  # locked by a running pipeline, or no ingest yet
        return [], f"not read ({str(exc).splitlines()[0]})"


def published_by(serving_path: Path, run_id: str) -> dict | None:
    if not serving_path.exists():
        return None
    with duckdb.connect(str(serving_path), read_only=True) as conn:
        rows = conn.execute(f"SELECT version, published_at, table_name, row_count FROM {PUBLISH_LOG} WHERE run_id = ?"
                            " ORDER BY table_name", [run_id]).fetchall()
    if not rows:
        return None
    return {"version": rows[0][0], "published_at": rows[0][1], "row_counts": {r[2]: r[3] for r in rows}}


def collect(instance: dg.DagsterInstance, run_id: str, warehouse_path: Path, serving_path: Path,
            problems: list[str] | None = None) -> RunQuality:
    run = instance.get_run_by_id(run_id)
    quality = RunQuality(run_id, run.job_name if run else "?", check_outcomes(instance, run_id),
                         problems=list(problems or []))
    quality.quarantine, quality.quarantine_note = quarantine_counts(warehouse_path)
    quality.published = published_by(serving_path, run_id)
    if quality.published is None:
        quality.still_published = current_version(serving_path)
    return quality


def render(quality: RunQuality) -> str:
    ok = len(quality.checks) - len(quality.failed) - len(quality.warned)
    lines = [f"# Quality report — run {quality.run_id}", "",
             f"Job `{quality.job_name}`, written {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC.", "",
             "## Publication", ""]
    if quality.published:
        p = quality.published
        lines += [f"Published version **{p['version']}** at {p['published_at']}:", "",
                  "| table | rows |", "|---|---|", *(f"| {t} | {n} |" for t, n in p["row_counts"].items())]
    else:
        kept = quality.still_published
        lines.append("**Nothing was published by this run.** " + (
            f"Version {kept['version']} (run {kept['run_id']}, {kept['published_at']}) stays published and readable."
            if kept else "No version has been published yet."))
        lines += [f"- {problem}" for problem in quality.problems]
    lines += ["", "## Checks", "",
              f"{len(quality.checks)} run: {ok} passed, {len(quality.failed)} failed, {len(quality.warned)} warned.", ""]
    if quality.failed or quality.warned:
        lines += ["| result | asset | check | failing examples |", "|---|---|---|---|"]
        for outcome in quality.failed + quality.warned:
            result = "FAILED" if outcome in quality.failed else "warned"
            lines.append(f"| {result} | {outcome.asset} | {outcome.name} | {outcome.details.replace('|', '/')} |")
    lines += ["", "## Quarantined rows", ""]
    if quality.quarantine_note:
        lines.append(f"Quarantine {quality.quarantine_note}.")
    elif not quality.quarantine:
        lines.append("None.")
    else:
        lines += [f"{sum(n for *_, n in quality.quarantine)} rows in `ingest.quarantine` (file, line, reason, raw text):", "",
                  "| source | entity | reason | rows |", "|---|---|---|---|",
                  *(f"| {s} | {e} | {r} | {n} |" for s, e, r, n in quality.quarantine)]
    return "\n".join(lines) + "\n"


def report_path(serving_dir: Path, run_id: str) -> Path:
    return serving_dir / REPORTS_DIR / f"quality_{run_id}.md"


def write_report(serving_dir: Path, quality: RunQuality) -> Path:
    """Write the run's report and make it the latest; each file is replaced atomically."""
    text = render(quality)
    path = report_path(serving_dir, quality.run_id)
    for target in (path, serving_dir / LATEST_REPORT):
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    return path
