"""Resources shared by several concerns; every path comes from the environment (see settings)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource


class WarehouseResource(DuckDBResource):
    """The DuckDB warehouse. Unlike its base class, closes the connection when the body raises:
    a failed step must not keep the file locked for the steps and readers that follow."""

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with super().get_connection() as conn:
            try:
                yield conn
            finally:
                conn.close()



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
        "warehouse": WarehouseResource(database=dg.EnvVar("FUNNEL_WAREHOUSE")),
        "landing": LandingZone(path=dg.EnvVar("FUNNEL_LANDING_DIR")),
        "serving": ServingStore(directory=dg.EnvVar("FUNNEL_SERVING_DIR")),
    }
)
