"""The code location loads for the Dagster tooling users run, and has the expected shape."""

import subprocess

import dagster as dg

from conftest import BIN, PROJECT_ROOT, command_env


def _run(command, demo):
    env = command_env(demo.home)
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


def test_every_asset_has_a_layer_group_owners_tags_and_a_code_version():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    groups = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        groups.setdefault(node.group_name, set()).add(key)
        assert node.owners and all(owner.startswith("team:") for owner in node.owners), key
        assert node.tags.get("layer") == node.group_name, key
        assert node.description, key
        if node.group_name != "config":  # seeds are data, not code
            assert node.code_version, key
    assert set(groups) == {"ingest", "staging", "intermediate", "core", "kpi", "config", "publish"}
    assert dg.AssetKey(["marts", "mart_stage_conversion"]) in groups["kpi"]
    assert dg.AssetKey(["marts", "dim_customer"]) in groups["core"]
    assert graph.get(dg.AssetKey(["raw_wecom", "messages"])).tags["source"] == "wecom"
    assert graph.get(dg.AssetKey(["staging", "stg_finance__invoices"])).tags["source"] == "finance"
    # dbt column docs reach the catalog.
    columns = graph.get(dg.AssetKey(["marts", "mart_stage_conversion"])).metadata["dagster/column_schema"].columns
    assert {c.name for c in columns} >= {"stage_conversion_rate", "reached_from_count"}


def test_ingest_code_versions_are_stable_across_processes_and_follow_the_contract():
    import sys
    from dataclasses import replace

    from orchestration.defs.ingest import ENTITIES
    from orchestration.defs.ingest.factory import contract_version

    here = [contract_version(contract, specs) for contract, specs in ENTITIES]
    there = subprocess.run(
        [sys.executable, "-c", "from orchestration.defs.ingest import ENTITIES\n"
         "from orchestration.defs.ingest.factory import contract_version\n"
         "print(' '.join(contract_version(c, s) for c, s in ENTITIES))"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert here == there and len(set(here)) == len(here)
    contract, specs = ENTITIES[0]
    loosened = replace(contract, fields=[replace(contract.fields[0], required=not contract.fields[0].required),
                                         *contract.fields[1:]])
    assert contract_version(loosened, specs) != here[0]


def test_schedule_and_sensors_are_on_by_default_with_a_retry_policy():
    from orchestration.definitions import defs

    assert defs.resolve_schedule_def("nightly_funnel_0200_shanghai").default_status == dg.DefaultScheduleStatus.RUNNING
    for name in ("new_deliveries", "alert_on_failed_runs", "source_freshness"):
        assert defs.resolve_sensor_def(name).default_status == dg.DefaultSensorStatus.RUNNING, name
    for job in ("ingest_deliveries", "nightly_funnel"):
        policy = defs.resolve_job_def(job).op_retry_policy
        assert policy is not None and policy.max_retries == 2, job
