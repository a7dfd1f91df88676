"""Data-quality gates beyond dbt tests: Great Expectations suites from ``expectations/``,
source freshness checks, the per-run quality report and the alert on failed runs."""

import dagster as dg

from .alerts import alert_on_failed_runs
from .checks import GX_CHECKS, GreatExpectationsResource
from .freshness import FRESHNESS_CHECKS, freshness_sensor

defs = dg.Definitions(asset_checks=[*GX_CHECKS, *FRESHNESS_CHECKS], sensors=[alert_on_failed_runs, freshness_sensor],
                     resources={"gx": GreatExpectationsResource()})
