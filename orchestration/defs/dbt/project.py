"""The one DbtProject of the code location (kept free of other imports so that
``dagster-dbt project prepare-and-package --file`` can load it alone)."""

from dagster_dbt import DbtProject

from orchestration.settings import DBT_PROJECT_DIR, export_to_environment

export_to_environment()

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# Parses the project when running under `dagster dev`/`dg dev`; elsewhere the manifest must be
# prepared first (the CLI and the test session do it; see orchestration.manifest).
dbt_project.prepare_if_dev()
