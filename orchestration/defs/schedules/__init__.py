"""The nightly job over the whole graph and its schedule (02:00 Asia/Shanghai)."""

import dagster as dg

# Every asset and check: ingest → dbt build (with tests) → publish.
nightly_job = dg.define_asset_job(
    name="nightly_funnel",
    selection=dg.AssetSelection.all(),
    description="Ingest every delivery, build and test the dbt project, publish the audited marts.",
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_funnel_0200_shanghai",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

defs = dg.Definitions(jobs=[nightly_job], schedules=[nightly_schedule])
