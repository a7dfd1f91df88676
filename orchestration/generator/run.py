"""Generate a dataset: every customer's life, marketing spend, re-delivered files, ground truth."""

from __future__ import annotations

import random
import shutil
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from . import formats
from .config import GeneratorConfig
from .lifecycle import CustomerLife, World, marketing_spend
from .people import make_customer
from .sink import DeliverySink
from .truth import TRUTH_DIR, GroundTruth

SOURCES = ("crm", "email", "finance", "wecom")


def generate(out_dir: Path, config: GeneratorConfig | None = None, progress: bool = False,
             buffer_bytes: int = 64 * 1024 * 1024) -> dict[str, Any]:
    """Write deliveries for all four sources under ``out_dir`` and return the manifest.

    ``out_dir`` must not hold deliveries already: mixing two runs would make the ground truth lie.
    """
    config = config or GeneratorConfig()
    existing = [s for s in (*SOURCES, TRUTH_DIR) if (out_dir / s).exists()]
    if existing:
        raise FileExistsError(f"{out_dir} already holds {', '.join(existing)}; generate into an empty folder")
    started = time.monotonic()
    sink = DeliverySink(out_dir, buffer_bytes)
    truth = GroundTruth(out_dir)
    world = World(config, sink, truth)
    step = max(1, config.customers // 20)
    for index in range(config.customers):
        customer = make_customer(index, config.seed, world.start, config.days)
        CustomerLife(world, customer).run()
        if progress and (index + 1) % step == 0:
            elapsed = time.monotonic() - started
            print(f"  {index + 1:>10,} customers  {elapsed:7.1f}s", flush=True)
    marketing_spend(world, config.customers)
    sink.close()
    redeliver(out_dir, config, truth)
    files = {s: sum(1 for p in (out_dir / s).rglob("*") if p.is_file()) for s in SOURCES if (out_dir / s).exists()}
    return truth.close(config.as_dict(), files)


def _entity_of(source: str, name: str) -> str:
    exports = [*formats.CRM_EXPORTS["salesforce"].values(), *formats.CRM_EXPORTS["chinese_crm"].values(),
               formats.INVOICES, formats.BANK_RECEIPTS, formats.SPEND, formats.CONTACTS, formats.CHATS,
               formats.MAILBOX, formats.EML_EXPORT]
    matches = [e for e in exports if e.source == source and name.startswith(e.stem + "_")]
    return max(matches, key=lambda e: len(e.stem)).entity


def redeliver(out_dir: Path, config: GeneratorConfig, truth: GroundTruth) -> None:
    """Copy some files, byte for byte, into a later delivery folder: the export job sent them twice."""
    rng = random.Random(config.seed * 99_991)
    last_delivery = (config.as_of.date())
    for source in SOURCES:
        for path in sorted((out_dir / source).rglob("*")):
            if not path.is_file() or rng.random() >= config.redelivery_rate:
                continue
            later = date.fromisoformat(path.parent.name) + timedelta(days=rng.randint(1, 3))
            if later > last_delivery:
                continue
            target = out_dir / source / later.isoformat() / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            truth.duplicate_file(source, _entity_of(source, path.name), path.relative_to(out_dir).as_posix(),
                                 target.relative_to(out_dir).as_posix())
