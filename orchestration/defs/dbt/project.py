"""The one DbtProject of the code location (kept free of other imports so that
``dagster-dbt project prepare-and-package --file`` can load it alone)."""

from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.settings import DBT_PROJECT_DIR, dbt_target_dir, export_to_environment

export_to_environment()

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=dbt_target_dir())

_PROJECT_FILES = ("models", "seeds", "macros", "tests", "snapshots", "dbt_project.yml", "profiles.yml")


def manifest_is_stale(project: DbtProject = dbt_project) -> bool:
    """True when the manifest is missing or older than any file of the dbt project."""
    manifest = Path(project.manifest_path)
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    root = Path(project.project_dir)
    for name in _PROJECT_FILES:
        path = root / name
        candidates = path.rglob("*") if path.is_dir() else [path]
        if any(p.is_file() and p.stat().st_mtime > built for p in candidates):
            return True
    return False


def prepare_manifest() -> None:
    """Parse the dbt project when its manifest is missing or stale.

    A clean checkout has no manifest (target/ is not committed) and an edited project has an old
    one; @dbt_assets reads it at import time, so every way of loading the code location
    (`dagster dev`, `dagster definitions validate`, the webserver, pytest, the `funnel` CLI)
    must find a current one without a separate step.
    """
    if manifest_is_stale():
        dbt_project.preparer.prepare(dbt_project)


prepare_manifest()
