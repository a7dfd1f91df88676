"""Build the ingest asset of one source entity from its contract; shared by every source."""

import hashlib
import json
import warnings
from collections.abc import Callable, Sequence
from datetime import date

import dagster as dg

from orchestration.defs.ownership import owners_for, tags_for
from orchestration.defs.resources import LandingZone, WarehouseResource
from orchestration.lib.contracts import TYPES, EntityContract
from orchestration.lib.errors import MalformedFileError
from orchestration.lib.loader import FileReport, FileSpec, LoadReport
from orchestration.lib.partition_load import load_entity

from .partitions import DELIVERY_PARTITIONS

# DuckDB allows one writing process per file: every warehouse writer shares this pool.
WAREHOUSE_POOL = "warehouse"


def _column_schema(contract: EntityContract) -> dg.TableSchema:
    columns = [
        dg.TableColumn(f.name, TYPES[f.type].sql, description=f"{f.source_header}: {f.description}".strip(": "),
                       constraints=dg.TableColumnConstraints(nullable=not f.required))
        for f in contract.fields
    ]
    columns += [dg.TableColumn(d.name, TYPES[d.type].sql, description=d.description) for d in contract.derived]
    return dg.TableSchema(columns=columns)


# Dagster copies a run's output metadata onto the materialization of every partition the run
# covers, so a backfill of D deliveries stores the file table D times: at a million customers,
# 730 copies of a 170k-row table were 17 GB of event log. The table therefore lists at most this
# many files, those that need a look first; the file registry ingest.files holds every file.
FILES_LISTED = 50


def _needs_a_look(report: FileReport) -> bool:
    return report.status != "loaded" or report.rows_quarantined > 0


def _files_table(files: list[FileReport]) -> str:
    listed = sorted(files, key=lambda f: not _needs_a_look(f))[:FILES_LISTED]
    lines = [
        "| file | delivery | status | encoding | read | loaded | quarantined | skipped | replaced by |",
        "|---|---|---|---|---|---|---|---|---|",
        *(f"| {f.file} | {f.delivery_date} | {f.status} | {f.encoding or ''} | {f.rows_read} | {f.rows_loaded} "
          f"| {f.rows_quarantined} | {f.rows_skipped} | {f.replaced_by or ''} |" for f in listed),
    ]
    if len(files) > len(listed):
        lines.append(f"\n{len(files) - len(listed)} more file(s), every one in the table `ingest.files`.")
    return "\n".join(lines)


def _report_metadata(report: LoadReport) -> dict[str, dg.MetadataValue | int | str]:
    return {
        "dagster/row_count": report.rows_loaded,
        "rows_read": report.rows_read,
        "rows_loaded": report.rows_loaded,
        "rows_quarantined": report.rows_quarantined,
        "rows_skipped": report.rows_skipped,
        "quarantined_by_reason": dg.MetadataValue.json(dict(report.quarantined_by_reason)),
        "files_read": len(report.files),
        "files_needing_a_look": sum(1 for f in report.files if _needs_a_look(f)),
        "duplicate_files_skipped": report.duplicate_files,
        "superseded_files": sum(1 for f in report.files if f.status == "superseded"),
        "unknown_columns": dg.MetadataValue.json(sorted(report.unknown_columns)),
        "ignored_folders": dg.MetadataValue.json(report.ignored_folders),
        "files": dg.MetadataValue.md(_files_table(report.files)),
    }


def contract_version(contract: EntityContract, files: Sequence[FileSpec]) -> str:
    """The asset's code version: changes when the contract's columns or the file mapping change,
    so the UI flags what was loaded under an older contract."""
    described = {
        "fields": [(f.name, f.type, f.required, f.source_header, f.aliases) for f in contract.fields],
        "derived": [(d.name, d.type, getattr(d.compute, "__qualname__", "")) for d in contract.derived],
        "files": [(spec.pattern, spec.system, sorted((spec.columns or {}).items()),
                   getattr(spec.read, "__qualname__", "")) for spec in files],
    }
    return hashlib.sha256(json.dumps(described, default=str).encode()).hexdigest()[:16]


def build_ingest_asset(contract: EntityContract, files: Sequence[FileSpec],
                       resolve: Callable[[str], tuple[EntityContract, Sequence[FileSpec]]] | None = None
                       ) -> dg.AssetsDefinition:
    """One asset loading ``raw_<source>.<entity>``, partitioned by delivery date.

    A run may cover a range of partitions (single-run backfill): each delivery is loaded in its
    own transaction, oldest first, so a failure keeps every delivery loaded before it.
    ``resolve`` (table → contract and specs, a module-level function) lets worker processes
    parse big ranges in parallel.
    """

    # backfill_policy is flagged beta; single-run backfills are what the CLI --partition-range needs.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return _define_asset(contract, files, resolve)


def _define_asset(contract: EntityContract, files: Sequence[FileSpec],
                  resolve: Callable[[str], tuple[EntityContract, Sequence[FileSpec]]] | None) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey([contract.schema, contract.entity]),
        group_name="ingest",
        kinds={"python", "duckdb"},
        owners=owners_for("ingest"),
        tags=tags_for("ingest", contract.source),
        code_version=contract_version(contract, files),
        description=contract.description,
        metadata={
            "dagster/column_schema": _column_schema(contract),
            "dagster/table_name": contract.table,
            "file_patterns": dg.MetadataValue.json([spec.pattern for spec in files]),
        },
        pool=WAREHOUSE_POOL,
        partitions_def=DELIVERY_PARTITIONS,
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def _ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingZone) -> dg.MaterializeResult:
        try:
            with warehouse.get_connection() as conn:
                deliveries = [date.fromisoformat(key) for key in context.partition_keys]
                report = load_entity(conn, contract, landing.root, list(files), deliveries, resolve)
        except MalformedFileError as exc:
            raise dg.Failure(
                description=f"{contract.source}/{contract.entity}: {exc}",
                metadata={"file": exc.path, "problem": exc.problem, "hint": exc.hint},
                allow_retries=False,
            ) from exc
        if report.rows_quarantined:
            context.log.warning(
                f"{report.rows_quarantined} row(s) quarantined in ingest.quarantine: "
                f"{dict(report.quarantined_by_reason)}"
            )
        return dg.MaterializeResult(metadata=_report_metadata(report))

    return _ingest
