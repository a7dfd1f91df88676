"""The nightly job (everything downstream of ingest) and its schedule (02:00 Asia/Shanghai).

Deliveries are ingested by their own partitioned job, requested by the ``new_deliveries`` sensor
as folders land (``orchestration.defs.ingest.sensor``); the nightly run then rebuilds the models
from whatever has been ingested, runs every test, and publishes the marts that pass.
"""

import dagster as dg

from orchestration.defs.retries import TRANSIENT_RETRIES

nightly_job = dg.define_asset_job(
    name="nightly_funnel",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("ingest"),
    description="Build and test the dbt project on the ingested deliveries, validate, publish the audited marts.",
    op_retry_policy=TRANSIENT_RETRIES,
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_funnel_0200_shanghai",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

defs = dg.Definitions(jobs=[nightly_job], schedules=[nightly_schedule])
