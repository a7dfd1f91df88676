"""Source freshness: each ingest asset should have loaded yesterday's delivery partition by the
time the nightly run starts (02:00 Asia/Shanghai). A late export is a warning, not a gate: the
night still publishes what did arrive, and the check says which source is behind.

These are the partition-aware freshness checks. Dagster marks them superseded by
``FreshnessPolicy``, but that policy judges an asset by its latest materialization of any
partition, so re-loading an old delivery would make a source look fresh; the checks ask whether
the latest delivery partition itself has been loaded, which is the question here.
"""

import warnings

import dagster as dg

from orchestration.defs.ingest import ASSETS as INGEST_ASSETS

with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.SupersessionWarning)
    FRESHNESS_CHECKS = dg.build_time_partition_freshness_checks(
        assets=INGEST_ASSETS, deadline_cron="0 2 * * *", timezone="Asia/Shanghai",
        severity=dg.AssetCheckSeverity.WARN,
    )
    freshness_sensor = dg.build_sensor_for_freshness_checks(
        freshness_checks=FRESHNESS_CHECKS, name="source_freshness", default_status=dg.DefaultSensorStatus.RUNNING,
    )
