"""Data-quality gates beyond dbt tests: Great Expectations suites from ``expectations/``."""

import dagster as dg

from .checks import GX_CHECKS

defs = dg.Definitions(asset_checks=GX_CHECKS)
