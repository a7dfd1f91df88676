"""dbt seeds, models and tests as Dagster assets and asset checks."""

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from orchestration.defs.ingest.factory import WAREHOUSE_POOL

from .project import dbt_project
from .translator import FunnelDbtTranslator

dbt_resource = DbtCliResource(project_dir=dbt_project)


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    """The whole dbt project as one multi-asset. dagster-dbt runs dbt in the project given here
    (not the resource's), so a second checkout of the project (e.g. a change under review) gets
    its own definition with the same asset and check keys."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=FunnelDbtTranslator(),
        pool=WAREHOUSE_POOL,
        name="funnel_dbt_models",
    )
    def funnel_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        """`dbt build`: seeds, models, unit tests and data tests in dependency order. A failed
        error-severity test stops the models downstream of it and fails its (blocking) asset check."""
        yield from dbt.cli(["build"], context=context).stream()

    return funnel_dbt_models


funnel_dbt_models = build_dbt_assets(dbt_project)
