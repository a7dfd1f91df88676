"""Data-quality gates beyond dbt tests: Great Expectations suites from ``expectations/``; the
per-run quality report and the alert on failed runs."""

import dagster as dg

from .alerts import alert_on_failed_runs
from .checks import GX_CHECKS

defs = dg.Definitions(asset_checks=GX_CHECKS, sensors=[alert_on_failed_runs])
