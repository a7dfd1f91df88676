"""The Dagster code location: each concern under ``defs/`` contributes its own definitions."""

import dagster as dg

from orchestration.settings import export_to_environment

export_to_environment()

from orchestration.defs import dbt, ingest, publish, quality, resources, schedules  # noqa: E402
from orchestration.progress import progress_logger  # noqa: E402

defs = dg.Definitions.merge(
    resources.defs,
    ingest.defs,
    dbt.defs,
    quality.defs,
    publish.defs,
    schedules.defs,
    # The warehouse is a single DuckDB file with one writer at a time: run steps one after the
    # other in one process (dbt still builds models in parallel threads inside its step).
    dg.Definitions(executor=dg.in_process_executor),
    # `funnel run` picks the terse progress logger through run config; other runs keep the console.
    dg.Definitions(loggers={"console": dg.colored_console_logger, "progress": progress_logger}),
)
