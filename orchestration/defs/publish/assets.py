"""The publish step: audited marts (dbt models tagged `published`) copied to the serving store."""

import hashlib
import json
from pathlib import Path

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from orchestration.defs.dbt.assets import funnel_dbt_models
from orchestration.defs.dbt.project import dbt_project
from orchestration.defs.ingest.factory import WAREHOUSE_POOL
from orchestration.defs.ownership import owners_for, tags_for
from orchestration.defs.quality.checks import GX_CHECKS
from orchestration.defs.quality.report import collect, render, write_report
from orchestration.defs.resources import ServingStore, WarehouseResource

from .gate import audit_problems
from orchestration.lib.serving_store import ChangeLog, publish_tables

PUBLISH_TAG = "published"
SERVING_FILE = "funnel.duckdb"


def _published_model_nodes(manifest: dict) -> list[dict]:
    return [node for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and PUBLISH_TAG in node.get("tags", [])]


def published_models(manifest: dict) -> list[tuple[str, str]]:
    """(schema, name) of every dbt model tagged `published`."""
    return sorted((node["schema"], node["alias"] or node["name"]) for node in _published_model_nodes(manifest))


def published_keys(manifest: dict) -> dict[str, str]:
    """Each published model's key, where it has one: a column with blocking `unique` and
    `not_null` tests on the whole table (a column the model's `not_null_columns` lists counts as
    tested `not_null`). The gate lets nothing be published before those passed, so the serving
    store may update the table by difference on that column."""
    names = {node["unique_id"]: node["alias"] or node["name"] for node in _published_model_nodes(manifest)}
    tested: dict[tuple[str, str], set[str]] = {}
    for node in manifest["nodes"].values():
        config = node.get("config", {})
        if (node["resource_type"] != "test" or node.get("attached_node") not in names
                or config.get("severity", "ERROR").upper() != "ERROR" or config.get("where")):
            continue
        metadata = node.get("test_metadata") or {}
        test = metadata.get("name")
        if test == "not_null_columns":  # a model's required columns, in one test (tests/generic)
            test, columns = "not_null", metadata.get("kwargs", {}).get("columns", [])
        else:
            columns = [node["column_name"]] if node.get("column_name") else []
        for column in columns:
            tested.setdefault((names[node["attached_node"]], column), set()).add(test)
    keys: dict[str, str] = {}
    for (name, column), tests in sorted(tested.items()):
        if {"unique", "not_null"} <= tests:
            keys.setdefault(name, column)
    return keys


# A published model's config may name the model it is published from row for row
# (meta: {publish_changes_from: <model>}): its only input, a changed_rows model with the same key
# that stamps every row it writes and logs every key it removes, so that the serving store finds
# the keys that changed since the last publication without comparing every row
# (serving_store.ChangeLog).
CHANGES_FROM_META = "publish_changes_from"


def published_change_logs(manifest: dict, keys: dict[str, str]) -> dict[str, ChangeLog]:
    """Each published model's change log, where its config names one; a model named that cannot
    serve as one is an error in the project, raised when the code location loads."""
    models = {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    logs: dict[str, ChangeLog] = {}
    for node in _published_model_nodes(manifest):
        tracked_name = node.get("config", {}).get("meta", {}).get(CHANGES_FROM_META)
        if not tracked_name:
            continue
        name, tracked = node["alias"] or node["name"], models.get(tracked_name)
        config = (tracked or {}).get("config", {})
        problems = [problem for problem, failed in [
            ("is not a model of the project", tracked is None),
            # each row of the published model must follow from that row alone (a projection or
            # filter of it): a row that joins another input could change with no stamp moving
            ("is not its only input", tracked is not None and node["depends_on"]["nodes"] != [tracked["unique_id"]]),
            ("is not a changed_rows model", config.get("incremental_strategy") != "changed_rows"),
            ("stamps no rows (stamp_column)", not config.get("stamp_column")),
            ("keeps no removed log (removed_log)", not config.get("removed_log")),
            (f"is not keyed by the published key {keys.get(name)!r}", config.get("unique_key") != keys.get(name)),
        ] if failed]
        if problems:
            raise ValueError(f"{name}: {CHANGES_FROM_META} {tracked_name!r} " + "; ".join(problems))
        relation = f"{tracked['schema']}.{tracked['alias'] or tracked['name']}"
        logs[name] = ChangeLog(relation, config["stamp_column"], f"{relation}__removed")
    return logs


# A published model's config may have its Parquet copy written in monthly parts
# (meta: {parquet_monthly_parts: <timestamp column>}): a large fact table whose nights change
# only its latest rows, so that a night writes the parts of the months it changed instead of the
# whole table (serving_store.py).
PARTS_META = "parquet_monthly_parts"


def published_parquet_parts(manifest: dict) -> dict[str, str]:
    """Each published model written in monthly parts, and the column whose month names a part; a
    column the model does not declare is an error in the project, raised when the code location
    loads."""
    parts: dict[str, str] = {}
    for node in _published_model_nodes(manifest):
        column = node.get("config", {}).get("meta", {}).get(PARTS_META)
        if not column:
            continue
        name = node["alias"] or node["name"]
        declared = node.get("columns", {})
        if column not in declared or declared[column].get("data_type", "").lower() not in (
                "date", "timestamp", "timestamptz", "timestamp with time zone"):
            raise ValueError(f"{name}: {PARTS_META} {column!r} is not a date or timestamp column the model declares")
        parts[name] = column
    return parts


_MANIFEST = json.loads(Path(dbt_project.manifest_path).read_text())  # read once, for all four
PUBLISHED = published_models(_MANIFEST)
PUBLISHED_KEYS_BY_TABLE = published_keys(_MANIFEST)
PUBLISHED_CHANGE_LOGS = published_change_logs(_MANIFEST, PUBLISHED_KEYS_BY_TABLE)
PUBLISHED_PARQUET_PARTS = published_parquet_parts(_MANIFEST)
del _MANIFEST  # two megabytes that the code location need not keep
PUBLISHED_KEYS = [get_asset_key_for_model([funnel_dbt_models], name) for _, name in PUBLISHED]
# The gate: dbt tests and GX suites alike, on the published marts and on everything they are built
# from (staging tables, intermediate models, seeds), so a defect caught upstream blocks too.
GATE_CHECKS = [*funnel_dbt_models.check_keys, *(key for check in GX_CHECKS for key in check.check_keys)]
GATED_ASSETS = sorted({check.asset_key for check in GATE_CHECKS} | set(PUBLISHED_KEYS), key=lambda key: key.path)


def publication_problems(instance: dg.DagsterInstance) -> list[str]:
    """Why the marts may not be published now (the gate's reasons); empty when they may."""
    checks_by_asset = {key: [check for check in GATE_CHECKS if check.asset_key == key] for key in GATED_ASSETS}
    return audit_problems(instance, checks_by_asset)


@dg.asset(
    key=dg.AssetKey(["serving", "published_marts"]),
    deps=PUBLISHED_KEYS,
    group_name="publish",
    kinds={"duckdb", "parquet"},
    owners=owners_for("publish"),
    tags=tags_for("publish"),
    # The published set is the code of this step: adding or dropping a published model changes it.
    code_version=hashlib.sha256(json.dumps(PUBLISHED).encode()).hexdigest()[:16],
    pool=WAREHOUSE_POOL,
    description=(
        "Publishes the audited marts (dbt models tagged `published`) into the serving store in "
        "one atomic step. Refuses when any blocking check (dbt test or Great Expectations suite) "
        "of those marts or of the staging and intermediate models they are built from failed or "
        "did not run on their latest build; the previously published version then stays in place."
    ),
)
def published_marts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, serving: ServingStore
) -> dg.MaterializeResult:
    problems = publication_problems(context.instance)
    run_id = context.run.run_id
    if problems:
        quality = collect(context.instance, run_id, Path(warehouse.database), serving.root / SERVING_FILE, problems)
        report = write_report(serving.root, quality)
        raise dg.Failure(
            description=f"Not published: the audit did not pass. The previous version stays published. Report: {report}",
            metadata={"problems": dg.MetadataValue.json(problems), "quality_report": dg.MetadataValue.path(str(report))},
            allow_retries=False,
        )
    version = publish_tables(Path(warehouse.database), serving.root / SERVING_FILE, PUBLISHED, run_id,
                             PUBLISHED_KEYS_BY_TABLE, PUBLISHED_CHANGE_LOGS, PUBLISHED_PARQUET_PARTS)
    context.log.info(f"Published version {version.version} to {version.path}")
    quality = collect(context.instance, run_id, Path(warehouse.database), version.path)
    report = write_report(serving.root, quality)
    return dg.MaterializeResult(
        metadata={
            "quality_report": dg.MetadataValue.path(str(report)),
            "quality_summary": dg.MetadataValue.md(render(quality)),
            "version": version.version,
            "serving_path": dg.MetadataValue.path(str(version.path)),
            "row_counts": dg.MetadataValue.json(version.row_counts),
            # tables updated by difference from the previous version: keys written in each
            "keys_written": dg.MetadataValue.json(version.keys_written),
            # of those, the tables whose keys the warehouse's change logs gave (no row compared)
            "from_change_log": dg.MetadataValue.json(list(version.from_change_log)),
            # the Parquet parts of the tables in monthly parts: [written, linked to the previous version's]
            "parquet_parts": dg.MetadataValue.json({name: list(counts) for name, counts in version.parquet_parts.items()}),
            "dagster/row_count": sum(version.row_counts.values()),
            "open_with": f"duckdb -readonly {version.path}",
        }
    )
