"""The code location loads for the Dagster tooling users run, and has the expected shape."""

import os
import subprocess

import dagster as dg

from conftest import BIN, PROJECT_ROOT


def _run(command, demo):
    env = {**os.environ, **demo.home.env(), "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_dagster_definitions_validate_passes_for_the_workspace(demo):
    completed = _run([str(BIN / "dagster"), "definitions", "validate", "-w", "workspace.yaml"], demo)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Validation successful for code location sales_funnel" in completed.stdout + completed.stderr


def test_dg_check_defs_passes(demo):
    completed = _run([str(BIN / "dg"), "check", "defs"], demo)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_nightly_schedule_and_graph_shape(demo):
    from orchestration.definitions import defs

    schedule = defs.resolve_schedule_def("nightly_funnel_0200_shanghai")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "Asia/Shanghai")
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey(["staging", "stg_crm__leads"])).parent_keys == {dg.AssetKey(["raw_crm", "leads"])}
    publish_parents = graph.get(dg.AssetKey(["serving", "published_marts"])).parent_keys
    assert {dg.AssetKey(["marts", "mart_stage_conversion"]), dg.AssetKey(["marts", "dim_customer"])} <= publish_parents
    checks = {key.name for key in graph.asset_check_keys}
    assert "not_null_int_stage_events_canonical_stage" in checks
    # Ingest is partitioned by delivery date (single-run backfills); the nightly job is what follows it.
    ingest = defs.resolve_job_def("ingest_deliveries")
    assert ingest.partitions_def.get_partition_keys()[0] == "2025-07-01"
    leads = graph.get(dg.AssetKey(["raw_crm", "leads"]))
    assert leads.partitions_def == ingest.partitions_def and leads.backfill_policy == dg.BackfillPolicy.single_run()
    nightly_keys = defs.resolve_job_def("nightly_funnel").asset_layer.selected_asset_keys
    assert dg.AssetKey(["serving", "published_marts"]) in nightly_keys
    assert not any(key.path[0].startswith("raw_") for key in nightly_keys)
    assert defs.resolve_sensor_def("new_deliveries").job_name == "ingest_deliveries"
