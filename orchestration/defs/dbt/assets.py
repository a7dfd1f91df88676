"""dbt seeds, models and tests as Dagster assets and asset checks."""

import os
import shutil
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject, dbt_assets

from orchestration.defs.ingest.factory import WAREHOUSE_POOL
from orchestration.lib.preparations import run_preparations

from .project import dbt_project
from .resource import FunnelDbtCliResource
from .translator import FunnelDbtTranslator

# dbt Core beside this interpreter (settings puts its bin folder first on PATH), never dbt Fusion's
# `dbtf`, which dagster-dbt would prefer when one is on PATH.
dbt_resource = FunnelDbtCliResource(project_dir=dbt_project, dbt_executable="dbt")

_FAILED = {"error", "fail"}

NIGHTLY_BUILD_ARGS = ("--exclude-resource-type", "unit_test")

# dagster-dbt gives every invocation its own target folder (manifest, compiled SQL, run results,
# log: about 20 MB), under the project's target/. A nightly schedule would add one a day for
# ever; the newest ones are kept for a look at a recent build.
KEPT_INVOCATION_FOLDERS = 10


def prune_invocation_folders(current: Path, keep: int = KEPT_INVOCATION_FOLDERS) -> list[Path]:
    """Delete all but the ``keep`` newest target folders of this asset's invocations (``current``
    is one of them and always stays); returns the folders deleted."""
    prefix = current.name.rsplit("-", 2)[0] + "-"  # <asset>-<run id>-<uuid>
    folders = [p for p in current.parent.glob(f"{prefix}*") if p.is_dir() and p != current]
    folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    deleted = folders[max(keep - 1, 0):]
    for folder in deleted:
        shutil.rmtree(folder, ignore_errors=True)
    return deleted


def keep_partial_parse(current: Path) -> bool:
    """Make this invocation's parse the one the next invocation starts from.

    dagster-dbt seeds each invocation's folder with the project's ``target/partial_parse.msgpack``,
    which only its prepare step writes. dbt re-parses the whole project when that
    parse was made with another profile (a different warehouse path) or other environment
    values, so a pipeline started under other settings than the prepare step paid a full parse
    (about 6 s) every night. Copied back, the next night parses only what changed since this one,
    as dbt does when it runs in one target folder. Returns whether there was a parse to keep."""
    parsed = current / "partial_parse.msgpack"
    if not parsed.is_file():  # dbt stopped before parsing
        return False
    staged = current.parent / f".partial_parse.msgpack.{os.getpid()}"
    shutil.copyfile(parsed, staged)
    os.replace(staged, current.parent / "partial_parse.msgpack")  # atomic for a dbt starting meanwhile
    return True


def failed_nodes(invocation: DbtCliInvocation) -> list[str] | None:
    """'<status> <node>: <first line of message>' for every node that errored or failed; None when
    dbt wrote no run results (it stopped before running anything, e.g. the warehouse was locked)."""
    if not Path(invocation.target_path, "run_results.json").exists():
        return None
    failures = []
    for result in invocation.get_artifact("run_results.json")["results"]:
        if result["status"] in _FAILED:
            message = (result.get("message") or "").strip().splitlines()
            failures.append(f"{result['status']} {result['unique_id']}: {message[0] if message else ''}")
    return failures


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    """The whole dbt project as one multi-asset. dagster-dbt runs dbt in the project given here
    (not the resource's), so a second checkout of the project (e.g. a change under review) gets
    its own definition with the same asset and check keys."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=FunnelDbtTranslator(),
        pool=WAREHOUSE_POOL,
        name="funnel_dbt_models",
    )
    def funnel_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        """`dbt build`: seeds, models and data tests in dependency order. A failed error-severity
        test stops the models downstream of it and fails its (blocking) asset check. Unit tests
        check the SQL, not the night's data, so they run where the SQL changes (CI, and
        `dbt test --select test_type:unit` while developing), as dbt advises for production."""
        invocation = dbt.cli(["build", *NIGHTLY_BUILD_ARGS], context=context, raise_on_error=False)
        # dbt takes seconds to start (imports, parse): the run's later steps prepare meanwhile.
        for line in run_preparations():
            context.log.info(f"Prepared while dbt started: {line}")
        try:
            yield from invocation.stream()
        finally:
            try:
                keep_partial_parse(Path(invocation.target_path))
                prune_invocation_folders(Path(invocation.target_path))
            except OSError as exc:  # housekeeping: the build's own outcome is what counts
                context.log.warning(f"dbt target folder housekeeping failed: {exc}")
        if invocation.is_successful():
            return
        failures = failed_nodes(invocation)
        if failures is None:
            # Nothing ran: the cause is outside the project (a locked warehouse, a killed process);
            # the job's retry policy tries again.
            raise dg.Failure(description=f"dbt build stopped before running: {invocation.get_error()}",
                             allow_retries=True)
        # A model or test failed on this data: running again would fail the same way.
        raise dg.Failure(
            description=f"dbt build: {len(failures)} node(s) failed — " + "; ".join(failures[:5]),
            metadata={"failed_nodes": dg.MetadataValue.json(failures)},
            allow_retries=False,
        )

    return funnel_dbt_models


funnel_dbt_models = build_dbt_assets(dbt_project)
