"""Alerting on failed runs: a run-failure sensor writes the run's quality report (unless the
publish step already did) and raises an alert — one JSON line appended to
``<serving>/alerts.log`` and, when ``FUNNEL_ALERT_WEBHOOK`` is set, the same JSON POSTed there
(a chat-bot or incident webhook). No external service is needed to see alerts."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import dagster as dg

from orchestration.settings import load_settings

from .report import collect, report_path, write_report

ALERTS_LOG = "alerts.log"
WEBHOOK_ENV = "FUNNEL_ALERT_WEBHOOK"
# Runs whose launcher raises its own alert (the `funnel` CLI, which has no daemon behind it) carry
# this tag, so a daemon running on the same home does not alert a second time.
ALERTED_BY_LAUNCHER = {"funnel/alert": "by-launcher"}


def send_alert(serving_dir: Path, payload: dict, webhook: str | None, log=None) -> None:
    """Append the alert to the alerts log, then POST it to the webhook if one is configured; a
    webhook that cannot be reached is logged, never raised (the log line is already written)."""
    serving_dir.mkdir(parents=True, exist_ok=True)
    line = json.dumps(payload, ensure_ascii=False, default=str)
    with (serving_dir / ALERTS_LOG).open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    if not webhook:
        return
    request = urllib.request.Request(webhook, data=line.encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=10):
            pass
    except (urllib.error.URLError, OSError) as exc:
        if log is not None:
            log.warning(f"alert webhook {webhook} not reached: {exc}")


def alert_for_failed_run(instance: dg.DagsterInstance, run_id: str, message: str, log=None) -> dict:
    settings = load_settings()
    report = report_path(settings.serving_dir, run_id)
    from orchestration.defs.publish.assets import publication_problems  # the publish package imports this one

    # When the publish step ran and refused, it wrote the report with the gate's reasons; when a
    # blocking check failed before it, the report is written here, with the same reasons.
    written = report.exists()
    quality = collect(instance, run_id, settings.warehouse_path, settings.serving_path,
                      None if written else publication_problems(instance))
    if not written:
        write_report(settings.serving_dir, quality)
    payload = {
        "event": "run_failed",
        "run_id": run_id,
        "job": quality.job_name,
        "message": message,
        "failed_checks": [f"{c.asset}: {c.name}" for c in quality.failed],
        "still_published": quality.still_published,
        "quality_report": str(report),
    }
    send_alert(settings.serving_dir, payload, os.environ.get(WEBHOOK_ENV), log)
    return payload


@dg.run_failure_sensor(
    name="alert_on_failed_runs",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "On every failed run: writes its quality report next to the serving store and appends an "
        f"alert to serving/{ALERTS_LOG} (POSTed to ${WEBHOOK_ENV} too when set)."
    ),
)
def alert_on_failed_runs(context: dg.RunFailureSensorContext) -> None:
    if all(context.dagster_run.tags.get(k) == v for k, v in ALERTED_BY_LAUNCHER.items()):
        return
    message = context.failure_event.message or "run failed"
    alert_for_failed_run(context.instance, context.dagster_run.run_id, message, context.log)
