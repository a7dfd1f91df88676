"""The one DbtProject of the code location (kept free of other imports so that
``dagster-dbt project prepare-and-package --file`` can load it alone)."""

from dagster_dbt import DbtProject

from orchestration.settings import DBT_PROJECT_DIR, export_to_environment

export_to_environment()

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
if dbt_project.manifest_path.exists():
    # Re-parses under `dagster dev`/`dg dev` so model edits show up; the `funnel` CLI always
    # re-parses before it runs.
    dbt_project.prepare_if_dev()
else:
    # A clean checkout has no manifest yet (target/ is not committed). Parse once here so that
    # every way of loading the code location works without a separate step: `dagster
    # definitions validate`, `dagster-webserver`, pytest collection.
    dbt_project.preparer.prepare(dbt_project)
