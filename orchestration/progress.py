"""Terminal progress for headless runs (`funnel run`, `funnel backfill`): one line per finished
step, per failed check and per failure, instead of Dagster's full debug stream. Selected through
run config (``loggers: {progress: {}}``); runs launched from the UI keep the default console
logger."""

from __future__ import annotations

import logging
import sys
from datetime import datetime

import dagster as dg

def describe(event: dg.DagsterEvent) -> str | None:
    """The progress line of an event; None for events not worth a line (a passed check)."""
    kind = event.event_type
    if kind == dg.DagsterEventType.RUN_START:
        return f"{event.job_name}: started"
    if kind == dg.DagsterEventType.STEP_SUCCESS:
        seconds = event.event_specific_data.duration_ms / 1000
        return f"  done    {event.step_key} ({seconds:.1f} s)"
    if kind == dg.DagsterEventType.STEP_FAILURE:
        data = event.event_specific_data
        # A dg.Failure carries its own description; other errors their exception's first line.
        text = (data.user_failure_data.description if data.user_failure_data and data.user_failure_data.description
                else data.error.message if data.error else event.message or "")
        return f"  FAILED  {event.step_key}: {text.strip().splitlines()[0]}"
    if kind == dg.DagsterEventType.STEP_SKIPPED:
        return f"  skipped {event.step_key} (an upstream step failed)"
    if kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
        evaluation = event.event_specific_data
        if evaluation.passed:
            return None
        level = "warn  " if evaluation.severity == dg.AssetCheckSeverity.WARN else "FAILED"
        return f"  check {level} {evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
    if kind in (dg.DagsterEventType.RUN_SUCCESS, dg.DagsterEventType.RUN_FAILURE):
        return f"{event.job_name}: {'SUCCESS' if kind == dg.DagsterEventType.RUN_SUCCESS else 'FAILED'}"
    return None


class _ProgressHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_meta", {}).get("dagster_event")
        line = describe(event) if event is not None else None
        if line:
            print(f"[{datetime.now():%H:%M:%S}] {line}", file=sys.stderr, flush=True)


@dg.logger(description="One terminal line per finished step, failed check and failure.")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.Logger("funnel_progress", level=logging.DEBUG)
    logger.addHandler(_ProgressHandler())
    return logger
