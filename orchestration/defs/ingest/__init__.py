"""Ingest assets, one per source entity and delivery partition, each declared by a contract in
its source package; the ingest job and the new-deliveries sensor."""

import dagster as dg

from . import crm, email, finance, wecom
from .factory import build_ingest_asset
from .sensor import build_delivery_sensor, ingest_job

# (contract, file specs) of every source entity: what the assets load and `funnel validate` checks.
ENTITIES = [*wecom.ENTITIES, *email.ENTITIES, *finance.ENTITIES, *crm.ENTITIES]
ASSETS = [build_ingest_asset(contract, specs) for contract, specs in ENTITIES]

_assets_by_source: dict[str, list[dg.AssetKey]] = {}
for asset, (contract, _) in zip(ASSETS, ENTITIES):
    _assets_by_source.setdefault(contract.source, []).append(asset.key)

defs = dg.Definitions(assets=ASSETS, jobs=[ingest_job], sensors=[build_delivery_sensor(_assets_by_source)])
