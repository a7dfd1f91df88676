"""`funnel`: the command-line entry point (demo run, sample generation, Dagster UI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from orchestration.generator.cli import generate_command
from orchestration.settings import PROJECT_ROOT, Settings, export_to_environment, load_settings


def _prepare_environment() -> Settings:
    settings = export_to_environment(load_settings())
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    config = settings.dagster_home / "dagster.yaml"
    if not config.exists():
        # No phoning home from a pipeline that handles customer data.
        config.write_text("telemetry:\n  enabled: false\n")
    os.environ.setdefault("DAGSTER_HOME", str(settings.dagster_home))
    return settings


def _has_deliveries(landing_dir: Path) -> bool:
    return landing_dir.is_dir() and any(p.is_dir() for p in landing_dir.glob("*/*"))


@click.group()
def main() -> None:
    """Sales-funnel data platform."""


@main.command()
@click.option("--customers", default=300, show_default=True, help="Customers in the generated sample.")
@click.option("--seed", default=7, show_default=True, help="Random seed of the sample.")
def demo(customers: int, seed: int) -> None:
    """Generate the sample (if the landing zone is empty), ingest it, run the nightly job, print a summary."""
    settings = _prepare_environment()
    if not _has_deliveries(settings.landing_dir):
        from orchestration.generator import GeneratorConfig, generate

        manifest = generate(settings.landing_dir, GeneratorConfig(customers=customers, seed=seed))
        click.echo(f"Generated sample deliveries in {settings.landing_dir}: {manifest['files_written']} files "
                   f"per source, {manifest['journeys']} funnel journeys, ground truth in "
                   f"{settings.landing_dir / 'ground_truth'}")
    else:
        click.echo(f"Using the deliveries already in {settings.landing_dir}")

    _run_and_summarise(settings)


def _run_and_summarise(settings: Settings) -> None:
    import dagster as dg

    from orchestration.runs import run_pipeline
    from orchestration.summary import render, summarise_runs

    instance = dg.DagsterInstance.get()
    runs = run_pipeline(instance, settings.landing_dir)
    results = [r for r in (runs.ingest, runs.nightly) if r is not None]
    if not results:
        click.echo(f"No deliveries in {settings.landing_dir}: nothing to run.")
        sys.exit(1)
    _alert_on_failures(instance, results)
    click.echo("\n" + "=" * 72)
    click.echo(render(summarise_runs(results), settings.warehouse_path, settings.serving_path))
    click.echo(f"\nDagster UI on the same data: funnel ui   (run history in {settings.dagster_home})")
    sys.exit(0 if runs.success else 1)


def _alert_on_failures(instance, results) -> None:
    """A headless run has no daemon to run the `alert_on_failed_runs` sensor: raise the same
    alert (and write the same quality report) here, so cron-driven nights are watched too."""
    from orchestration.defs.quality.alerts import alert_for_failed_run

    for result in results:
        if not result.success:
            alert_for_failed_run(instance, result.run_id, f"{result.job_def.name} failed")


@main.command()
def run() -> None:
    """Ingest every delivery in the landing zone, then build, test and publish (no generation)."""
    _run_and_summarise(_prepare_environment())


main.add_command(generate_command)


@main.command()
@click.option("--landing", "landing_dir", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="Landing folder to check (default: the configured landing zone).")
@click.option("--workers", default=os.cpu_count() or 1, show_default=True, help="Entities checked in parallel.")
def validate(landing_dir: Path | None, workers: int) -> None:
    """Check every delivered file against its contract, without loading; with ground truth, reconcile."""
    from orchestration.generator.truth import TRUTH_DIR
    from orchestration.validate import compare_with_truth, render, validate_landing

    landing_dir = landing_dir or _prepare_environment().landing_dir
    report = validate_landing(landing_dir, workers)
    click.echo(render(report))
    if not (landing_dir / TRUTH_DIR / "manifest.json").exists():
        sys.exit(0 if report.ok else 1)
    problems = compare_with_truth(report, landing_dir)
    if problems:
        click.echo("\nDoes NOT match the ground truth:\n  " + "\n  ".join(problems))
        sys.exit(1)
    click.echo("\nMatches the ground truth: every injected defect caught, nothing else quarantined.")


@main.command()
@click.option("--landing", "landing_dir", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="Generated landing folder with ground_truth/ (default: the configured landing zone).")
def score(landing_dir: Path | None) -> None:
    """Score the resolved customers (bridge_customer_source_record) against the ground truth."""
    from orchestration.scoring import render, score_warehouse

    settings = _prepare_environment()
    click.echo(render(score_warehouse(settings.warehouse_path, landing_dir or settings.landing_dir)))


@main.command()
def docs() -> None:
    """Rewrite docs/sources.md from the contracts, the CRM mappings and a generated sample."""
    from orchestration.docs_sources import DOC_PATH, render_sources_doc

    DOC_PATH.parent.mkdir(exist_ok=True)
    DOC_PATH.write_text(render_sources_doc(), encoding="utf-8")
    click.echo(f"Wrote {DOC_PATH}")


@main.command()
@click.option("--port", default=3000, show_default=True)
def ui(port: int) -> None:
    """Start the Dagster UI and daemon (schedules run) on the configured data."""
    _prepare_environment()
    command = [str(Path(sys.executable).parent / "dagster"), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"),
               "-p", str(port)]
    sys.exit(subprocess.call(command, cwd=PROJECT_ROOT))
