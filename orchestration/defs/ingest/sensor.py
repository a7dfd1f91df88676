"""The ingest job over delivery partitions, and the sensor that requests a partition when a
delivery folder appears or changes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from orchestration.defs.resources import LandingZone
from orchestration.defs.retries import TRANSIENT_RETRIES
from orchestration.lib.loader import delivery_folders

from .partitions import DELIVERY_PARTITIONS

ingest_job = dg.define_asset_job(
    name="ingest_deliveries",
    # Freshness checks on these assets are evaluated by their own sensor, not inside a load.
    selection=dg.AssetSelection.groups("ingest").without_checks(),
    description="Load delivery partitions of every source entity into the raw tables.",
    op_retry_policy=TRANSIENT_RETRIES,
)


def folder_fingerprint(folder: Path) -> str:
    """Changes when a file is added, removed, rewritten or touched in the folder."""
    entries = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file())
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()[:16]


def build_delivery_sensor(assets_by_source: dict[str, Sequence[dg.AssetKey]]) -> dg.SensorDefinition:
    @dg.sensor(
        name="new_deliveries",
        job=ingest_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Requests the delivery partition of a source when its dated folder appears or changes.",
    )
    def new_deliveries(context: dg.SensorEvaluationContext, landing: LandingZone) -> dg.SensorResult:
        seen: dict[str, str] = json.loads(context.cursor or "{}")
        known_partitions = set(DELIVERY_PARTITIONS.get_partition_keys())
        requests, skipped = [], []
        for source, asset_keys in sorted(assets_by_source.items()):
            folders, _ = delivery_folders(landing.root / source)
            loaded = None  # partitions every asset of the source has materialized, looked up once if needed
            for delivered, folder in folders:
                partition, marker = delivered.isoformat(), f"{source}/{delivered.isoformat()}"
                fingerprint = folder_fingerprint(folder)
                if seen.get(marker) == fingerprint:
                    continue
                if marker not in seen:
                    # Deliveries a run outside this sensor already loaded (`funnel run`, a backfill)
                    # count as seen the first time the sensor meets them, instead of loading again.
                    if loaded is None:
                        loaded = set.intersection(
                            *(context.instance.get_materialized_partitions(key) for key in asset_keys))
                    if partition in loaded:
                        seen[marker] = fingerprint
                        continue
                if partition not in known_partitions:
                    skipped.append(marker)
                    continue
                seen[marker] = fingerprint
                requests.append(dg.RunRequest(run_key=f"{marker}:{fingerprint}", partition_key=partition,
                                              asset_selection=list(asset_keys), tags={"funnel/source": source}))
        if skipped:
            context.log.warning(f"delivery folders outside the partitions (before FUNNEL_FIRST_DELIVERY_DATE "
                                f"or in the future): {skipped[:10]}")
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))

    return new_deliveries
