"""Ingest assets, one per source entity, each declared by a contract in its source package."""

import dagster as dg

from . import crm, email, finance, wecom

# (contract, file specs) of every source entity: what the assets load and `funnel validate` checks.
ENTITIES = [*wecom.ENTITIES, *email.ENTITIES, *finance.ENTITIES, *crm.ENTITIES]

defs = dg.Definitions(assets=[*wecom.ASSETS, *email.ASSETS, *finance.ASSETS, *crm.ASSETS])
