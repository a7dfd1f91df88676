"""Ingest assets, one per source entity and delivery partition, each declared by a contract in
its source package; the ingest job and the new-deliveries sensor."""

import dagster as dg

from . import crm, email, finance, wecom
from .factory import build_ingest_asset
from .sensor import build_delivery_sensor, ingest_job

# (contract, file specs) of every source entity: what the assets load and `funnel validate` checks.
ENTITIES = [*wecom.ENTITIES, *email.ENTITIES, *finance.ENTITIES, *crm.ENTITIES]


def entity_by_table(table: str):
    """(contract, file specs) of the raw table ``table``: how ingest worker processes find them."""
    return next((contract, specs) for contract, specs in ENTITIES if contract.table == table)


ASSETS = [build_ingest_asset(contract, specs, entity_by_table) for contract, specs in ENTITIES]

_assets_by_source: dict[str, list[dg.AssetKey]] = {}
for asset, (contract, _) in zip(ASSETS, ENTITIES):
    _assets_by_source.setdefault(contract.source, []).append(asset.key)

defs = dg.Definitions(assets=ASSETS, jobs=[ingest_job], sensors=[build_delivery_sensor(_assets_by_source)])
