"""Shared fixtures. The sample is materialized once per session by running the real `funnel demo`
command (generate → Dagster job → dbt build → checks → publish) in a fresh home folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.settings import dbt_target_path

# The tests run on parallel pytest-xdist workers (pyproject's addopts), each with its own
# session: its own demo home and, set before the code location loads, its own dbt target folder
# (manifest, kept partial parse, build folders), so that no worker parses over, seeds from or
# prunes another's while both build from this checkout.
if worker := os.environ.get("PYTEST_XDIST_WORKER"):
    # below the value dbt would use: relative by default, so a copy of the project
    # (test_gate_and_rerun) keeps its builds in the copy
    os.environ["DBT_TARGET_PATH"] = str(dbt_target_path() / f"pytest-{worker}")

from orchestration.dagster_instance import write_instance_config  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Home:
    """One pipeline home folder (landing zone, warehouse, serving store, Dagster home)."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def serving(self) -> Path:
        return self.root / "serving" / "funnel.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    def env(self) -> dict[str, str]:
        return {
            "FUNNEL_HOME": str(self.root),
            "FUNNEL_LANDING_DIR": str(self.landing),
            "FUNNEL_WAREHOUSE": str(self.warehouse),
            "FUNNEL_SERVING_DIR": str(self.serving.parent),
            "DAGSTER_HOME": str(self.dagster_home),
        }

    def files(self, source: str, pattern: str) -> list[Path]:
        """Delivered files of a source matching ``pattern``, oldest delivery first."""
        return sorted((self.landing / source).glob(f"*/{pattern}"))


@dataclass(frozen=True)
class DemoRun:
    home: Home
    returncode: int
    output: str


def command_env(home: Home | None = None) -> dict[str, str]:
    """The environment for a subprocess on ``home``: its paths, and this virtualenv's commands first."""
    return {**os.environ, **(home.env() if home else {}), "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def funnel(*args: str, home: Home | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run the installed `funnel` command for real, on ``home`` (default: the environment's)."""
    return subprocess.run([str(BIN / "funnel"), *args], cwd=home.root if home else PROJECT_ROOT,
                          env=command_env(home), capture_output=True, text=True, timeout=timeout)


def dbt(*args: str, target: Path, home: Home | None = None, timeout: int = 900,
        project: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed `dbt` on the project (or a copy of it, ``project``) against ``home``'s
    warehouse (default: the environment's), its artifacts (manifest, run results, compiled SQL)
    written to ``target``."""
    from orchestration.settings import DBT_PROJECT_DIR

    project = project or DBT_PROJECT_DIR
    return subprocess.run([str(BIN / "dbt"), *args, "--project-dir", str(project), "--profiles-dir",
                           str(project), "--target-path", str(target)],
                          env=command_env(home), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """README command (1) without the install: `funnel demo` on a fresh home."""
    home = Home(tmp_path_factory.mktemp("demo_home"))
    completed = funnel("demo", home=home)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-5000:]
    return DemoRun(home, completed.returncode, output)


@pytest.fixture
def copied_home(demo: DemoRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """A private copy of the demo's home, with the environment pointing at it."""
    home = Home(tmp_path / "home")
    shutil.copytree(demo.home.root, home.root)
    write_instance_config(home.dagster_home)  # its event log is the copy's, as `funnel` would re-point it
    for key, value in home.env().items():
        monkeypatch.setenv(key, value)
    return home


def run_pipeline(instance=None, deliveries: tuple[str, str] | None = None):
    """Ingest every delivery (or only the delivery dates ``deliveries`` = (first, last), for a
    test that adds or changes just those), then run the nightly job, in this process, on the home
    the environment points at; returns both runs."""
    import dagster as dg

    from orchestration.runs import delivered_range
    from orchestration.runs import run_pipeline as run

    return run(instance or dg.DagsterInstance.ephemeral(),
               deliveries or delivered_range(Path(os.environ["FUNNEL_LANDING_DIR"])))
