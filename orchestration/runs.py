"""Run the pipeline in this process: ingest a range of delivery partitions in one run, then the
nightly job. Used by `funnel demo` / `funnel run`; the Dagster UI, sensor and schedule do the same
through the daemon."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration.lib.loader import delivery_folders

SOURCES = ("crm", "email", "finance", "wecom")


@dataclass
class PipelineRuns:
    ingest: dg.ExecuteInProcessResult | None
    nightly: dg.ExecuteInProcessResult | None

    @property
    def success(self) -> bool:
        return all(r is not None and r.success for r in (self.ingest, self.nightly))


def delivered_range(landing: Path) -> tuple[str, str] | None:
    """First and last delivery dates found in the landing zone, over all sources."""
    dates = [d for source in SOURCES for d, _ in delivery_folders(landing / source)[0]]
    return (min(dates).isoformat(), max(dates).isoformat()) if dates else None


def ingest_partitions(instance: dg.DagsterInstance, first: str, last: str) -> dg.ExecuteInProcessResult:
    """Every ingest asset over the partitions first..last, in one run (single-run backfill)."""
    from orchestration.definitions import defs

    return defs.resolve_job_def("ingest_deliveries").execute_in_process(
        instance=instance, raise_on_error=False,
        tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last})


def run_nightly(instance: dg.DagsterInstance, log_level: str = "INFO") -> dg.ExecuteInProcessResult:
    from orchestration.definitions import defs

    return defs.resolve_job_def("nightly_funnel").execute_in_process(
        instance=instance, raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}})


def run_pipeline(instance: dg.DagsterInstance, landing: Path) -> PipelineRuns:
    """Ingest every delivered partition, then build, test and publish — stopping if ingest fails."""
    delivered = delivered_range(landing)
    ingest = ingest_partitions(instance, *delivered) if delivered else None
    if ingest is not None and not ingest.success:
        return PipelineRuns(ingest, None)
    return PipelineRuns(ingest, run_nightly(instance))
