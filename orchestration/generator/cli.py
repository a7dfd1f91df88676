"""The ``generate`` command, shared by ``python -m orchestration.generator`` and ``funnel generate``."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import click

from .config import CRM_SYSTEMS, GeneratorConfig
from .run import generate


@click.command("generate")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Landing folder to write (must not hold deliveries yet).")
@click.option("--customers", default=300, show_default=True, help="Real customers to simulate.")
@click.option("--days", default=184, show_default=True, help="Length of the simulated window in days.")
@click.option("--seed", default=7, show_default=True, help="Random seed: same seed, same bytes.")
@click.option("--start", default="2025-07-01", show_default=True, help="First day of the window (Asia/Shanghai).")
@click.option("--crm", type=click.Choice(CRM_SYSTEMS), default="salesforce", show_default=True,
              help="Which CRM export shape to write.")
@click.option("--quiet", is_flag=True, help="No progress lines.")
def generate_command(out_dir: Path, customers: int, days: int, seed: int, start: str, crm: str, quiet: bool) -> None:
    """Write deterministic deliveries for all four sources, with ground truth."""
    config = GeneratorConfig(customers=customers, days=days, seed=seed, start=date.fromisoformat(start), crm=crm)
    started = time.monotonic()
    manifest = generate(out_dir, config, progress=not quiet)
    elapsed = time.monotonic() - started
    files = sum(manifest["files_written"].values())
    click.echo(f"Wrote {files:,} files for {customers:,} customers to {out_dir} in {elapsed:.1f}s")
    click.echo(f"  files per source: {manifest['files_written']}")
    click.echo(f"  injected defects: {manifest['defects']}")
    click.echo(f"  ground truth: {out_dir / 'ground_truth'}")
