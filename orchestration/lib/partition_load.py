"""Load one delivery (a partition: one dated folder of one source) of one entity, idempotently.

Every record read ends in exactly one place: the raw table (typed, with lineage), the quarantine
table (file, line, reason, raw text), or the skipped count of a file that is not loaded. Which
files are loaded is decided with the file registry ``ingest.files``, so that the end state does
not depend on the order in which partitions are (re)loaded:

* the same bytes delivered in several partitions are loaded once, from the earliest delivery;
  the later copies are ``duplicate`` (their rows counted as skipped);
* the same file name delivered again with other bytes is a correction: the latest delivery is
  loaded and the earlier version is ``superseded`` (its rows and quarantine entries removed);
* re-loading a partition first forgets what that partition loaded before, then loads it again.

All of it for one partition happens in one transaction: a failure or a killed process leaves the
previous state, never half a partition.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from .contracts import EntityContract, TableDef, utc_now
from .loader import (QUARANTINE, QUARANTINE_TABLE, FileReport, FileSpec, LoadReport, RowBatch, delivery_folders,
                     read_file)

REGISTRY_TABLE = "ingest.files"
REGISTRY = TableDef(REGISTRY_TABLE, (
    ("source", pa.string(), "VARCHAR NOT NULL"),
    ("entity", pa.string(), "VARCHAR NOT NULL"),
    ("delivery_date", pa.date32(), "DATE NOT NULL"),
    ("file", pa.string(), "VARCHAR NOT NULL"),
    ("file_name", pa.string(), "VARCHAR NOT NULL"),
    ("sha256", pa.string(), "VARCHAR NOT NULL"),
    ("status", pa.string(), "VARCHAR NOT NULL"),  # loaded | duplicate | superseded
    ("replaced_by", pa.string(), "VARCHAR"),  # for duplicate / superseded: the file loaded instead
    ("encoding", pa.string(), "VARCHAR"),
    ("rows_read", pa.int64(), "BIGINT NOT NULL"),
    ("rows_loaded", pa.int64(), "BIGINT NOT NULL"),
    ("rows_quarantined", pa.int64(), "BIGINT NOT NULL"),
    ("rows_skipped", pa.int64(), "BIGINT NOT NULL"),
    ("loaded_at", pa.timestamp("us", tz="UTC"), "TIMESTAMPTZ NOT NULL"),
))


@dataclass(frozen=True)
class _Delivered:
    path: Path
    rel: str
    spec: FileSpec
    sha256: str


def _files_of(folder: Path, landing_dir: Path, specs: list[FileSpec]) -> list[_Delivered]:
    files, seen = [], set()
    for spec in specs:
        for path in spec.matching(folder):
            if path in seen:
                continue
            seen.add(path)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            files.append(_Delivered(path, path.relative_to(landing_dir).as_posix(), spec, digest))
    return files


def ensure_tables(conn: duckdb.DuckDBPyConnection, contract: EntityContract) -> None:
    """Create the raw table and the ingest tables if missing; add columns a newer contract declares."""
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {contract.schema}")
    conn.execute("CREATE SCHEMA IF NOT EXISTS ingest")
    conn.execute(contract.table_def().ddl)
    existing = {row[0] for row in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
        [contract.schema, contract.entity]).fetchall()}
    for name, _, sql in contract.column_types():
        if name not in existing:
            conn.execute(f'ALTER TABLE {contract.table} ADD COLUMN "{name}" {sql}')
    conn.execute(QUARANTINE.ddl)
    conn.execute(REGISTRY.ddl)


def _evict(conn: duckdb.DuckDBPyConnection, contract: EntityContract, file: str, status: str, by: str) -> None:
    """Take a loaded file's rows out again: a correction or an earlier copy replaces it."""
    conn.execute(f"DELETE FROM {contract.table} WHERE _source_file = ?", [file])
    conn.execute(f"DELETE FROM {QUARANTINE_TABLE} WHERE source_file = ?", [file])
    conn.execute(
        f"UPDATE {REGISTRY_TABLE} SET status = ?, replaced_by = ?, rows_skipped = rows_read, rows_loaded = 0, "
        f"rows_quarantined = 0 WHERE source = ? AND entity = ? AND file = ?",
        [status, by, contract.source, contract.entity, file])


def _registry_match(conn: duckdb.DuckDBPyConnection, contract: EntityContract, match: dict[str, str],
                    comparison: str, delivered: date) -> tuple[str, date, str] | None:
    """The earliest loaded file of another delivery (before or after ``delivered``, by
    ``comparison``) whose registry columns equal ``match``."""
    conditions = " AND ".join(f"{column} = ?" for column in match)
    rows = conn.execute(
        f"SELECT file, delivery_date, sha256 FROM {REGISTRY_TABLE} WHERE source = ? AND entity = ? AND {conditions} "
        f"AND status = 'loaded' AND delivery_date {comparison} ? ORDER BY delivery_date, file LIMIT 1",
        [contract.source, contract.entity, *match.values(), delivered]).fetchall()  # fetchall: leave no open result
    return rows[0] if rows else None


def _copy_key(item: _Delivered) -> str:
    return f"{item.path.name}/{item.sha256}"


def _copy_match(item: _Delivered) -> dict[str, str]:
    return {"file_name": item.path.name, "sha256": item.sha256}


def _skip_reason(conn: duckdb.DuckDBPyConnection, contract: EntityContract, item: _Delivered, delivered: date,
                 loaded_here: dict[str, str]) -> tuple[str, str] | None:
    """(status, file loaded instead) when the file must not be loaded: a copy (same name, same
    bytes) of a file loaded in this or an earlier delivery, or an older version of a file a later
    delivery corrected. Files of other names with the same bytes are different exports (an
    incremental export of a record that returned to an earlier state) and load."""
    if _copy_key(item) in loaded_here:
        return "duplicate", loaded_here[_copy_key(item)]
    earlier_copy = _registry_match(conn, contract, _copy_match(item), "<", delivered)
    if earlier_copy:
        return "duplicate", earlier_copy[0]
    later_version = _registry_match(conn, contract, {"file_name": item.path.name}, ">", delivered)
    if later_version and later_version[2] != item.sha256:
        return "superseded", later_version[0]
    return None


def _count_records(delivered: _Delivered, contract: EntityContract) -> int:
    return sum(1 for _ in delivered.spec.open(delivered.path, contract).records)


def load_partition(conn: duckdb.DuckDBPyConnection, contract: EntityContract, landing_dir: Path,
                   specs: list[FileSpec], delivered: date, create_tables: bool = True) -> LoadReport:
    """Load (or re-load) one delivery folder of one entity in one transaction.

    Raises MalformedFileError, naming the file, when a file cannot be read; nothing is written then.
    ``create_tables=False`` skips the DDL when the caller has already run ``ensure_tables``.
    """
    folder = landing_dir / contract.source / delivered.isoformat()
    files = _files_of(folder, landing_dir, specs) if folder.is_dir() else []
    batch = RowBatch(contract, utc_now())
    report = LoadReport(contract.table)
    registry: list[dict] = []
    if create_tables:
        ensure_tables(conn, contract)
    conn.execute("BEGIN TRANSACTION")
    try:
        # Forget what this partition loaded before (re-materialization replaces it).
        conn.execute(f"DELETE FROM {contract.table} WHERE _delivery_date = ?", [delivered])
        conn.execute(f"DELETE FROM {QUARANTINE_TABLE} WHERE source = ? AND entity = ? AND delivery_date = ?",
                     [contract.source, contract.entity, delivered])
        conn.execute(f"DELETE FROM {REGISTRY_TABLE} WHERE source = ? AND entity = ? AND delivery_date = ?",
                     [contract.source, contract.entity, delivered])
        loaded_here: dict[str, str] = {}  # name/sha256 → file, within this partition
        for item in files:
            skip = _skip_reason(conn, contract, item, delivered, loaded_here)
            if skip:
                skipped = _count_records(item, contract)
                file_report = FileReport(item.rel, delivered.isoformat(), None, rows_read=skipped, status=skip[0],
                                         rows_skipped=skipped, replaced_by=skip[1])
            else:
                later_copy = _registry_match(conn, contract, _copy_match(item), ">", delivered)
                if later_copy:  # loaded out of order: this earlier delivery is the original
                    _evict(conn, contract, later_copy[0], "duplicate", item.rel)
                earlier_version = _registry_match(conn, contract, {"file_name": item.path.name}, "<", delivered)
                if earlier_version and earlier_version[2] != item.sha256:
                    _evict(conn, contract, earlier_version[0], "superseded", item.rel)
                file_report = read_file(item.spec.open(item.path, contract), item.rel, delivered,
                                         item.spec.system or contract.source, batch, report)
                loaded_here[_copy_key(item)] = item.rel
            report.files.append(file_report)
            registry.append({
                "source": contract.source, "entity": contract.entity, "delivery_date": delivered,
                "file": item.rel, "file_name": item.path.name, "sha256": item.sha256, "status": file_report.status,
                "replaced_by": file_report.replaced_by, "encoding": file_report.encoding,
                "rows_read": file_report.rows_read, "rows_loaded": file_report.rows_loaded,
                "rows_quarantined": file_report.rows_quarantined, "rows_skipped": file_report.rows_skipped,
                "loaded_at": batch.loaded_at,
            })
        _insert(conn, contract.table, pa.Table.from_pylist(batch.rows, schema=contract.arrow_schema()))
        _insert(conn, QUARANTINE_TABLE, pa.Table.from_pylist(batch.quarantine, schema=QUARANTINE.arrow_schema))
        _insert(conn, REGISTRY_TABLE, pa.Table.from_pylist(registry, schema=REGISTRY.arrow_schema))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return report


def _insert(conn: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    if rows.num_rows == 0:
        return
    conn.register("_incoming", rows)
    try:
        conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _incoming")
    finally:
        conn.unregister("_incoming")


def load_entity(conn: duckdb.DuckDBPyConnection, contract: EntityContract, landing_dir: Path,
                specs: list[FileSpec], deliveries: list[date] | None = None) -> LoadReport:
    """Load the given deliveries (default: every dated folder of the source), oldest first."""
    folders, ignored = delivery_folders(landing_dir / contract.source)
    chosen = [d for d, _ in folders] if deliveries is None else sorted(deliveries)
    total = LoadReport(contract.table, ignored_folders=ignored)
    ensure_tables(conn, contract)
    for delivered in chosen:
        report = load_partition(conn, contract, landing_dir, list(specs), delivered, create_tables=False)
        total.files += report.files
        total.quarantined_by_reason.update(report.quarantined_by_reason)
        total.unknown_columns |= report.unknown_columns
    return total


def registered_files(warehouse: Path) -> list[tuple[str, str, date, str, str]]:
    """(source, entity, delivery date, file, sha256) of every file in the registry, read-only;
    empty before the first ingest."""
    if not warehouse.exists():
        return []
    schema, table = REGISTRY_TABLE.split(".")
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        if not conn.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                            [schema, table]).fetchone()[0]:
            return []
        return conn.execute(f"SELECT source, entity, delivery_date, file, sha256 FROM {REGISTRY_TABLE}").fetchall()


def pending_deliveries(warehouse: Path, landing_dir: Path,
                       entities: list[tuple[EntityContract, list[FileSpec]]]) -> list[date]:
    """Delivery dates with anything the file registry has not seen as it is now: a new folder, a
    new file, a file whose bytes changed, or a registered file that has gone. The nightly run
    ingests only these; reloading the rest would change nothing (loads are idempotent) but costs
    a materialization per entity and date."""
    registered: dict[tuple[str, str, date], set[tuple[str, str]]] = {}
    for source, entity, delivered, file, sha256 in registered_files(warehouse):
        registered.setdefault((source, entity, delivered), set()).add((file, sha256))
    pending: set[date] = set()
    for contract, specs in entities:
        folders, _ = delivery_folders(landing_dir / contract.source)
        on_disk_dates = set()
        for delivered, folder in folders:
            on_disk_dates.add(delivered)
            files = {(f.rel, f.sha256) for f in _files_of(folder, landing_dir, list(specs))}
            if files != registered.get((contract.source, contract.entity, delivered), set()):
                pending.add(delivered)
        pending |= {d for (s, e, d) in registered if (s, e) == (contract.source, contract.entity)
                    and d not in on_disk_dates}
    return sorted(pending)
