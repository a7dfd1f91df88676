"""`funnel status`: the last runs, their checks, the published version and how fresh each source is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.defs.quality.report import CheckOutcome, check_outcomes, report_path
from orchestration.lib.loader import delivery_folders
from orchestration.lib.partition_load import registered_files
from orchestration.lib.serving_store import current_version
from orchestration.runs import SOURCES
from orchestration.settings import Settings

JOBS = ("ingest_deliveries", "nightly_funnel")
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A source whose newest delivery is older than this many days is flagged (exports are daily).
STALE_AFTER_DAYS = 1


@dataclass
class LastRun:
    job: str
    run_id: str
    status: str
    started: datetime | None
    finished: datetime | None
    checks: list[CheckOutcome] = field(default_factory=list)


@dataclass
class SourceFreshness:
    source: str
    delivered: date | None  # newest dated folder in the landing zone
    ingested: date | None  # newest delivery in the warehouse's file registry


@dataclass
class Status:
    runs: list[LastRun]
    published: dict | None
    report: Path | None
    sources: list[SourceFreshness]
    today: date

    @property
    def healthy(self) -> bool:
        """The last nightly run succeeded and published."""
        nightly = next((r for r in self.runs if r.job == "nightly_funnel"), None)
        return bool(nightly and nightly.status == "SUCCESS" and self.published
                    and self.published["run_id"] == nightly.run_id)


def _timestamp(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=timezone.utc) if value else None


def last_runs(instance: dg.DagsterInstance) -> list[LastRun]:
    runs = []
    for job in JOBS:
        records = instance.get_run_records(dg.RunsFilter(job_name=job), limit=1)
        if not records:
            continue
        record = records[0]
        run_id = record.dagster_run.run_id
        runs.append(LastRun(job, run_id, record.dagster_run.status.value, _timestamp(record.start_time),
                            _timestamp(record.end_time), check_outcomes(instance, run_id)))
    return runs


def ingested_deliveries(warehouse: Path) -> dict[str, date]:
    """Newest delivery date per source in the file registry (empty before the first ingest)."""
    newest: dict[str, date] = {}
    for source, _, delivered, _, _ in registered_files(warehouse):
        newest[source] = max(delivered, newest.get(source, delivered))
    return newest


def collect_status(instance: dg.DagsterInstance, settings: Settings) -> Status:
    ingested = ingested_deliveries(settings.warehouse_path)
    sources = []
    for source in SOURCES:
        folders, _ = delivery_folders(settings.landing_dir / source)
        sources.append(SourceFreshness(source, folders[-1][0] if folders else None, ingested.get(source)))
    runs = last_runs(instance)
    published = current_version(settings.serving_path)
    nightly = next((r for r in runs if r.job == "nightly_funnel"), None)
    report = report_path(settings.serving_dir, nightly.run_id) if nightly else None
    return Status(runs, published, report if report and report.exists() else None, sources,
                  datetime.now(SHANGHAI).date())


def _when(moment: datetime | None) -> str:
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M} Asia/Shanghai" if moment else "-"


def render(status: Status) -> str:
    lines = ["Last runs"]
    if not status.runs:
        lines.append("  none yet: `funnel demo` or `funnel run` starts one")
    for run in status.runs:
        lines.append(f"  {run.job:<18} {run.status:<9} run {run.run_id}  started {_when(run.started)}, "
                     f"finished {_when(run.finished)}")
        failed = [f"{c.asset}:{c.name}" for c in run.checks if c.failed]
        lines.append(f"  {'':<18} checks: {sum(c.passed for c in run.checks)} passed, {len(failed)} failed, "
                     f"{sum(c.warned for c in run.checks)} warned")
        lines += [f"  {'':<18}   FAILED {name}" for name in failed]
    lines += ["", "Published"]
    if status.published:
        p = status.published
        lines.append(f"  version {p['version']} from run {p['run_id']}, published {_when(p['published_at'])}")
    else:
        lines.append("  nothing published yet")
    if status.report:
        lines.append(f"  quality report of the last nightly run: {status.report}")
    lines += ["", f"Source freshness (today {status.today}, Asia/Shanghai)"]
    for source in status.sources:
        if source.delivered is None:
            lines.append(f"  {source.source:<8} no deliveries in the landing zone")
            continue
        age = (status.today - source.delivered).days
        flag = "STALE" if age > STALE_AFTER_DAYS else "fresh"
        behind = "" if source.ingested == source.delivered else "  (NOT INGESTED yet: run `funnel run`)"
        lines.append(f"  {source.source:<8} {flag:<5} newest delivery {source.delivered} ({age} days old), "
                     f"ingested up to {source.ingested or '-'}{behind}")
    lines += ["", "Overall: " + ("OK — the last nightly run published" if status.healthy else
                                 "ATTENTION — the last nightly run did not publish (see above)")]
    return "\n".join(lines)
