"""`funnel`: the command-line interface. Everything the Dagster UI does, headless: the demo, the
nightly run, backfills, status, publication, reports, identity scoring and the UI itself."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import click

from orchestration.dagster_instance import write_instance_config
from orchestration.generator.cli import generate_command
from orchestration.settings import PROJECT_ROOT, Settings, export_to_environment, load_settings


def _prepare_environment() -> Settings:
    settings = export_to_environment(load_settings())
    write_instance_config(settings.dagster_home)
    os.environ.setdefault("DAGSTER_HOME", str(settings.dagster_home))
    return settings


def _has_deliveries(landing_dir: Path) -> bool:
    return landing_dir.is_dir() and any(p.is_dir() for p in landing_dir.glob("*/*"))


class _FunnelGroup(click.Group):
    """Turns the errors a person can act on into one line and exit code 1, instead of a traceback."""

    def invoke(self, ctx: click.Context):
        import duckdb

        try:
            return super().invoke(ctx)
        except duckdb.IOException as exc:  # typically another process holds the file's write lock
            raise click.ClickException(f"{str(exc).splitlines()[0]} — wait for that process (a running "
                                       "pipeline, a dbt or duckdb session) to finish, then retry") from exc
        except (duckdb.CatalogException, FileNotFoundError) as exc:
            raise click.ClickException(f"{str(exc).splitlines()[0]} — has the pipeline run on this home "
                                       "(FUNNEL_HOME)? `funnel run` builds it") from exc


@click.group(cls=_FunnelGroup)
def main() -> None:
    """Sales-funnel data platform: ingest the four sources, build the single customer view and
    the funnel KPIs, gate them on data-quality checks and publish them for BI tools."""


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


def _run_and_summarise(settings: Settings, deliveries: tuple[str, str] | None = None,
                       everything: bool = False) -> None:
    import dagster as dg

    from orchestration.defs.quality.alerts import ALERTED_BY_LAUNCHER
    from orchestration.runs import delivered_range, pending_range, run_pipeline
    from orchestration.summary import render, summarise_runs

    instance = dg.DagsterInstance.get()
    if deliveries is None:
        deliveries = (delivered_range(settings.landing_dir) if everything
                      else pending_range(settings.warehouse_path, settings.landing_dir))
    click.echo(f"Ingesting deliveries {deliveries[0]} to {deliveries[1]}" if deliveries else
               "No new or changed deliveries: nothing to ingest; building, checking and publishing.")
    # dagster-dbt echoes dbt's own log to stdout; keep it in a file so the terminal shows the
    # progress lines (stderr) and the summary.
    log = settings.home / "logs" / f"funnel_{datetime.now():%Y%m%dT%H%M%S}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    click.echo(f"Progress below; dbt's full log: {log}")
    with log.open("w", encoding="utf-8") as handle, contextlib.redirect_stdout(handle):
        runs = run_pipeline(instance, deliveries, progress=True, tags=ALERTED_BY_LAUNCHER)
    _alert_on_failures(instance, runs.results)
    click.echo("\n" + "=" * 72)
    click.echo(render(summarise_runs(runs.results), settings.warehouse_path, settings.serving_path))
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
@click.option("--all", "everything", is_flag=True,
              help="Re-ingest every delivery, not only new or changed ones (loads are idempotent).")
def run(everything: bool) -> None:
    """The nightly run, headless: ingest new or changed deliveries, then build, test and publish."""
    settings = _prepare_environment()
    if not _has_deliveries(settings.landing_dir):
        raise click.ClickException(f"no deliveries in {settings.landing_dir} (set FUNNEL_LANDING_DIR, "
                                   "or `funnel generate` a sample)")
    _run_and_summarise(settings, everything=everything)


_DAY = click.DateTime(formats=["%Y-%m-%d"])


@main.command()
@click.option("--from", "first", type=_DAY, required=True, help="First delivery date (YYYY-MM-DD).")
@click.option("--to", "last", type=_DAY, required=True, help="Last delivery date (YYYY-MM-DD), inclusive.")
def backfill(first, last) -> None:
    """Re-ingest the delivery partitions FROM..TO in one run, then build, test and publish."""
    from orchestration.defs.ingest.partitions import DELIVERY_PARTITIONS

    settings = _prepare_environment()
    first, last = first.date(), last.date()
    if first > last:
        raise click.BadParameter(f"--from {first} is after --to {last}", param_hint="--from/--to")
    keys = DELIVERY_PARTITIONS.get_partition_keys()
    if first.isoformat() < keys[0] or last.isoformat() > keys[-1]:
        raise click.BadParameter(f"delivery partitions run from {keys[0]} to {keys[-1]} "
                                 "(FUNNEL_FIRST_DELIVERY_DATE sets the first)", param_hint="--from/--to")
    _run_and_summarise(settings, deliveries=(first.isoformat(), last.isoformat()))


@main.command()
def status() -> None:
    """Last runs and their checks, the published version, and the freshness of each source.
    Exits 1 when the last nightly run did not publish (for monitoring scripts)."""
    import dagster as dg

    from orchestration.status import collect_status, render

    settings = _prepare_environment()
    current = collect_status(dg.DagsterInstance.get(), settings)
    click.echo(render(current))
    sys.exit(0 if current.healthy else 1)


_PROBLEMS_SHOWN = 20


@main.command()
def publish() -> None:
    """Publish the marts as built in the warehouse, if their latest build passed every check."""
    import dagster as dg

    from orchestration.defs.publish.assets import published_marts
    from orchestration.lib.serving_store import current_version
    from orchestration.runs import run_nightly

    settings = _prepare_environment()
    result = run_nightly(dg.DagsterInstance.get(), progress=True, asset_selection=[published_marts.key])
    if not result.success:
        failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
        refusal = failure.event_specific_data.user_failure_data  # set when the gate refused
        if refusal is None:
            raise click.ClickException(failure.event_specific_data.error.message.strip().splitlines()[0])
        click.echo(refusal.description, err=True)
        problems = refusal.metadata["problems"].value if "problems" in refusal.metadata else []
        for problem in problems[:_PROBLEMS_SHOWN]:  # the gate lists failed checks first
            click.echo(f"  {problem}", err=True)
        if len(problems) > _PROBLEMS_SHOWN:
            click.echo(f"  … and {len(problems) - _PROBLEMS_SHOWN} more (see `funnel report`)", err=True)
        sys.exit(1)
    version = current_version(settings.serving_path)
    click.echo(f"Published version {version['version']} (run {version['run_id']}) to {settings.serving_path}")


@main.command()
@click.option("--run", "run_id", help="Run id (default: the latest report).")
@click.option("--path", "path_only", is_flag=True, help="Print the report's path instead of its text.")
def report(run_id: str | None, path_only: bool) -> None:
    """Print the quality report of the latest run (or of --run)."""
    from orchestration.defs.quality.report import LATEST_REPORT, report_path

    settings = _prepare_environment()
    path = report_path(settings.serving_dir, run_id) if run_id else settings.serving_dir / LATEST_REPORT
    if not path.exists():
        raise click.ClickException(f"no quality report at {path}: " + (
            "no run with that id wrote one" if run_id else "run `funnel run` (or `funnel demo`) first"))
    click.echo(str(path) if path_only else path.read_text(encoding="utf-8"))


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
