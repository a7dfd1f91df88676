"""The dbt CLI resource, without the two things dagster-dbt does before every dbt command that
this project never uses.

Before each ``dbt build`` dagster-dbt (1) runs ``dbt --version`` in a subprocess to tell dbt Core
from the Fusion engine and (2) loads the dbt profile, project and macros in the Dagster process to
hold an adapter, which only ``fetch_row_counts()`` and ``fetch_column_metadata()`` use. Together
they cost about three seconds of every nightly run, before dbt starts: dbt itself is started once
more, for its version, and half of it again in-process. This project runs dbt Core, the package
installed beside Dagster (pinned in pyproject.toml), and its assets report what dbt's events and
manifest say (column docs and types come from the manifest), fetching nothing from the
warehouse; so the version is read from the installed package and no adapter is made.
tests/test_dbt_resource.py fails if dagster-dbt stops calling these hooks by these names.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from importlib.metadata import version as installed_version

from dagster_dbt import DbtCliResource
from packaging import version


class FunnelDbtCliResource(DbtCliResource):
    """``DbtCliResource`` for dbt Core installed in this environment."""

    @cached_property
    def _cli_version(self) -> version.Version:
        # The dbt executable is the one of this environment's dbt-core: its version is the package's.
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        # No adapter: the invocation then only streams dbt's events, which is all the assets use.
        return None
