"""Resources shared by several concerns; every path comes from the environment (see settings)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource


class LandingZone(dg.ConfigurableResource):
    """The folder holding ``<source>/<delivery date>/`` deliveries. The pipeline never writes here."""

    path: str

    @property
    def root(self) -> Path:
        return Path(self.path)


class ServingStore(dg.ConfigurableResource):
    """The folder of the published serving store that BI tools read."""

    directory: str

    @property
    def root(self) -> Path:
        return Path(self.directory)


defs = dg.Definitions(
    resources={
        "warehouse": DuckDBResource(database=dg.EnvVar("FUNNEL_WAREHOUSE")),
        "landing": LandingZone(path=dg.EnvVar("FUNNEL_LANDING_DIR")),
        "serving": ServingStore(directory=dg.EnvVar("FUNNEL_SERVING_DIR")),
    }
)
