"""Where the pipeline reads and writes, configured by environment variables.

Every path has a documented default under one home folder (``FUNNEL_HOME``, default ``./data``)
so that the demo, the Dagster UI and the tests all agree on one layout:

    $FUNNEL_HOME/landing/<source>/<delivery date>/...   extracts as delivered
    $FUNNEL_HOME/warehouse.duckdb                       the pipeline's own warehouse
    $FUNNEL_HOME/serving/funnel.duckdb                  published marts for BI tools
    $FUNNEL_HOME/dagster_home/                          Dagster run history

The defaults are written into ``os.environ`` (only where unset) because two consumers read
them from the environment: Dagster ``EnvVar`` resources and the dbt subprocess (profiles.yml).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def dbt_target_path() -> Path:
    """``DBT_TARGET_PATH`` as dbt and dagster-dbt read it: relative to the project, or absolute."""
    return Path(os.environ.get("DBT_TARGET_PATH", "target"))


def dbt_target_dir(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """dbt's target folder: the manifest, the kept partial parse and one folder per build.

    ``DBT_TARGET_PATH`` is dbt's own variable, relative to the project (or absolute), and the one
    dagster-dbt places its per-build folders under; reading it here keeps the manifest beside
    them. Two processes that build at once from one checkout (e.g. parallel test workers) each
    give it their own value, so that neither parses over, seeds from or prunes the other's."""
    return project_dir / dbt_target_path()


@dataclass(frozen=True)
class Settings:
    home: Path
    landing_dir: Path
    warehouse_path: Path
    serving_dir: Path
    dagster_home: Path
    company_email_domains: tuple[str, ...]

    @property
    def serving_path(self) -> Path:
        return self.serving_dir / "funnel.duckdb"


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


def load_settings() -> Settings:
    """Read the settings from the environment (and a ``.env`` file in the working folder, for
    variables the environment does not set), falling back to the documented defaults."""
    load_dotenv(Path.cwd() / ".env", override=False)
    home = _path("FUNNEL_HOME", Path.cwd() / "data")
    domains = os.environ.get("FUNNEL_COMPANY_EMAIL_DOMAINS", "ourcompany.cn")
    return Settings(
        home=home,
        landing_dir=_path("FUNNEL_LANDING_DIR", home / "landing"),
        warehouse_path=_path("FUNNEL_WAREHOUSE", home / "warehouse.duckdb"),
        serving_dir=_path("FUNNEL_SERVING_DIR", home / "serving"),
        dagster_home=_path("DAGSTER_HOME", home / "dagster_home"),
        company_email_domains=tuple(d.strip().lower() for d in domains.split(",") if d.strip()),
    )


def export_to_environment(settings: Settings | None = None) -> Settings:
    """Put the resolved settings into ``os.environ`` (absolute paths, unset variables only)."""
    settings = settings or load_settings()
    values = {
        "FUNNEL_HOME": settings.home,
        "FUNNEL_LANDING_DIR": settings.landing_dir,
        "FUNNEL_WAREHOUSE": settings.warehouse_path,
        "FUNNEL_SERVING_DIR": settings.serving_dir,
        "FUNNEL_COMPANY_EMAIL_DOMAINS": ",".join(settings.company_email_domains),
    }
    for key, value in values.items():
        os.environ.setdefault(key, str(value))
    _put_interpreter_bin_on_path()
    return settings


def _put_interpreter_bin_on_path() -> None:
    """dagster-dbt runs ``dbt`` from PATH; make it the one installed beside this interpreter,
    so ``.venv/bin/funnel`` works without activating the virtualenv."""
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if (Path(bin_dir) / "dbt").exists() and bin_dir not in path.split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + path
