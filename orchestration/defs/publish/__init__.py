"""Publication of audited marts to the serving store."""

import dagster as dg

from .assets import published_marts

defs = dg.Definitions(assets=[published_marts])
