"""dbt seeds, models and tests as Dagster assets and asset checks."""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.ingest.factory import WAREHOUSE_POOL

from .project import dbt_project
from .translator import FunnelDbtTranslator

dbt_resource = DbtCliResource(project_dir=dbt_project)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=FunnelDbtTranslator(),
    pool=WAREHOUSE_POOL,
)
def funnel_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build`: seeds, models, unit tests and data tests in dependency order. A failed
    error-severity test stops the models downstream of it and fails its (blocking) asset check."""
    yield from dbt.cli(["build"], context=context).stream()
