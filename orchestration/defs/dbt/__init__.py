"""The dbt project as Dagster assets: every seed, model and data test in one graph."""

import dagster as dg

from .assets import dbt_resource, funnel_dbt_models

defs = dg.Definitions(assets=[funnel_dbt_models], resources={"dbt": dbt_resource})
