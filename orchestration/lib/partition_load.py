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
import os
from bisect import insort
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from .contracts import EntityContract, TableDef, utc_now
from .errors import MalformedFileError
from .loader import (QUARANTINE, QUARANTINE_TABLE, FileReport, FileSpec, LoadReport, RowBatch, delivery_folders,
                     file_names, read_file, with_loaded_at)
from .workers import process_pool, workers_from_env

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
    # what the file looked like when hashed (null in registries written before these existed)
    ("size_bytes", pa.int64(), "BIGINT"),
    ("modified_ns", pa.int64(), "BIGINT"),
))


@dataclass(frozen=True)
class _Delivered:
    folder: Path
    name: str
    rel: str
    spec: FileSpec
    sha256: str
    size_bytes: int
    modified_ns: int

    @property
    def path(self) -> Path:
        return self.folder / self.name


# (size in bytes, modification time in ns, sha256) of a file as the registry recorded it
Fingerprint = tuple[int, int, str]


def _files_of(folder: Path, landing_dir: Path, specs: list[FileSpec],
              recorded: Mapping[str, Fingerprint] | None = None) -> list[_Delivered]:
    """The folder's files matching the specs, hashed. Given what the registry ``recorded``, a file
    whose size and modification time are unchanged keeps its recorded hash (as make and rsync
    decide): deciding what is pending must not read the whole landing zone every night. A load
    passes nothing and hashes every byte it loads."""
    files = []
    prefix = folder.relative_to(landing_dir).as_posix()
    directory = str(folder)
    for name, spec in _matching(folder, specs):
        rel, path = f"{prefix}/{name}", os.path.join(directory, name)
        stat = os.stat(path)
        known = (recorded or {}).get(rel)
        if known and known[:2] == (stat.st_size, stat.st_mtime_ns):
            digest = known[2]
        else:
            with open(path, "rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
        files.append(_Delivered(folder, name, rel, spec, digest, stat.st_size, stat.st_mtime_ns))
    return files


def _matching(folder: Path, specs: list[FileSpec]) -> Iterator[tuple[str, FileSpec]]:
    """The name of each file of the folder that a spec matches, with the first spec that does
    (in the specs' order, each spec's files by name); the folder is read once."""
    names = file_names(folder)
    seen: set[str] = set()
    for spec in specs:
        for name in names:
            if name not in seen and spec.matches(name):
                seen.add(name)
                yield name, spec


def _columns_of(conn: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """The columns ``table`` (schema.name) has in the warehouse; empty if it does not exist."""
    schema, name = table.split(".")
    return {row[0] for row in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
        [schema, name]).fetchall()}


def _add_missing_columns(conn: duckdb.DuckDBPyConnection, table: str,
                         columns: Sequence[tuple[str, pa.DataType, str]]) -> None:
    """Columns a newer declaration of ``table`` has and the warehouse's table lacks, added (null)."""
    existing = _columns_of(conn, table)
    for column, _, sql in columns:
        if column not in existing:
            conn.execute(f'ALTER TABLE {table} ADD COLUMN "{column}" {sql.replace(" NOT NULL", "")}')


def ensure_tables(conn: duckdb.DuckDBPyConnection, contract: EntityContract) -> None:
    """Create the raw table and the ingest tables if missing; add columns a newer contract declares."""
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {contract.schema}")
    conn.execute("CREATE SCHEMA IF NOT EXISTS ingest")
    conn.execute(contract.table_def().ddl)
    _add_missing_columns(conn, contract.table, contract.column_types())
    conn.execute(QUARANTINE.ddl)
    conn.execute(REGISTRY.ddl)
    _add_missing_columns(conn, REGISTRY_TABLE, REGISTRY.columns)


def _evict(conn: duckdb.DuckDBPyConnection, contract: EntityContract, file: str, status: str, by: str) -> None:
    """Take a loaded file's rows out again: a correction or an earlier copy replaces it."""
    conn.execute(f"DELETE FROM {contract.table} WHERE _source_file = ?", [file])
    conn.execute(f"DELETE FROM {QUARANTINE_TABLE} WHERE source_file = ?", [file])
    conn.execute(
        f"UPDATE {REGISTRY_TABLE} SET status = ?, replaced_by = ?, rows_skipped = rows_read, rows_loaded = 0, "
        f"rows_quarantined = 0 WHERE source = ? AND entity = ? AND file = ?",
        [status, by, contract.source, contract.entity, file])


class _RegistryView:
    """What the file registry says about one entity's files, as a load needs it: the deliveries
    it has rows for, and its loaded files by name (earliest delivery first).

    A range load reads it once and keeps it current as each delivery commits: asking per
    delivery scanned the whole table twice, a cost that grew with every day of history (by the
    last entities of a two-year build at a million customers the registry holds 130k files, and
    a mail delivery's question took 15 ms). A single delivery reads only its own files' names.
    Evictions are forgotten as they are made, inside the delivery's transaction: when that fails,
    the load stops and the view goes with it.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection, contract: EntityContract,
                 names: list[str] | None = None, delivered: date | None = None) -> None:
        """The entity's whole registry; given the ``names`` of one delivery's files and its
        ``delivered`` date, only what loading that delivery needs."""
        self._rows: dict[str, list[tuple[date, str, str]]] = {}
        self._names_on: dict[date, set[str]] = {}  # the names with rows of each delivery
        where, params = "source = ? AND entity = ?", [contract.source, contract.entity]
        one = names is not None
        self.registered = {row[0] for row in conn.execute(
            f"SELECT DISTINCT delivery_date FROM {REGISTRY_TABLE} WHERE {where}"
            + (" AND delivery_date = ?" if one else ""), params + ([delivered] if one else [])).fetchall()}
        if one and not names:
            return
        rows = conn.execute(
            f"SELECT file_name, delivery_date, file, sha256 FROM {REGISTRY_TABLE} WHERE {where} AND status = 'loaded'"
            + (" AND list_contains(?, file_name)" if one else "") + " ORDER BY delivery_date, file",
            params + ([names] if one else [])).fetchall()
        for name, day, file, sha256 in rows:
            self._rows.setdefault(name, []).append((day, file, sha256))
            self._names_on.setdefault(day, set()).add(name)

    def first(self, item: _Delivered, delivered: date, later: bool, same_bytes: bool) -> tuple[str, date, str] | None:
        """The earliest loaded file named like ``item`` from a delivery before (or, ``later``,
        after) ``delivered``; with ``same_bytes``, only a byte-identical one."""
        for day, file, sha256 in self._rows.get(item.name, []):
            if (day > delivered if later else day < delivered) and (not same_bytes or sha256 == item.sha256):
                return file, day, sha256
        return None

    def forget(self, item: _Delivered, file: str) -> None:
        self._rows[item.name] = [row for row in self._rows.get(item.name, []) if row[1] != file]

    def committed(self, delivered: date, loaded: list[_Delivered], registered: bool) -> None:
        """The delivery's transaction committed: its earlier registry rows were replaced by its
        ``loaded`` files (evictions were forgotten as they were made)."""
        for name in self._names_on.pop(delivered, set()):
            self._rows[name] = [row for row in self._rows[name] if row[0] != delivered]
        for item in loaded:
            insort(self._rows.setdefault(item.name, []), (delivered, item.rel, item.sha256))
            self._names_on.setdefault(delivered, set()).add(item.name)
        self.registered.discard(delivered)
        if registered:
            self.registered.add(delivered)


def _copy_key(item: _Delivered) -> str:
    return f"{item.name}/{item.sha256}"


def _skip_reason(elsewhere: _RegistryView, item: _Delivered, delivered: date,
                 loaded_here: dict[str, str]) -> tuple[str, str] | None:
    """(status, file loaded instead) when the file must not be loaded: a copy (same name, same
    bytes) of a file loaded in this or an earlier delivery, or an older version of a file a later
    delivery corrected. Files of other names with the same bytes are different exports (an
    incremental export of a record that returned to an earlier state) and load."""
    if _copy_key(item) in loaded_here:
        return "duplicate", loaded_here[_copy_key(item)]
    earlier_copy = elsewhere.first(item, delivered, later=False, same_bytes=True)
    if earlier_copy:
        return "duplicate", earlier_copy[0]
    later_version = elsewhere.first(item, delivered, later=True, same_bytes=False)
    if later_version and later_version[2] != item.sha256:
        return "superseded", later_version[0]
    return None


@dataclass
class _ParsedFile:
    """One delivered file read through its contract, before any decision about loading it; its
    rows are ``rows_count`` rows of the partition's table from ``rows_offset``."""

    item: _Delivered
    report: FileReport
    rows_offset: int
    rows_count: int
    quarantine: list[dict]
    reasons: Counter[str]
    unknown_columns: set[str]
    error: MalformedFileError | None = None


@dataclass
class ParsedPartition:
    """Every file of one delivery folder of one entity, parsed; made in a worker process or inline."""

    delivered: date
    files: list[_ParsedFile]
    rows: pa.Table  # every parsed row of every file, in file order


def _parse_file(contract: EntityContract, item: _Delivered, delivered: date, batch: RowBatch) -> _ParsedFile:
    offset = len(batch)
    scratch = LoadReport(contract.table)
    try:
        report = read_file(item.spec.open(item.path, contract), item.rel, delivered,
                           item.spec.system or contract.source, batch, scratch)
    except MalformedFileError as error:
        # Kept, not raised: the file may turn out to be a copy that is skipped, not loaded.
        try:
            counted = sum(1 for _ in item.spec.open(item.path, contract).records)
        except MalformedFileError:
            counted = 0
        batch.truncate(offset)
        return _ParsedFile(item, FileReport(item.rel, delivered.isoformat(), None, rows_read=counted),
                           offset, 0, [], Counter(), set(), error)
    quarantine, batch.quarantine = batch.quarantine, []
    return _ParsedFile(item, report, offset, len(batch) - offset, quarantine, scratch.quarantined_by_reason,
                       scratch.unknown_columns)


def parse_partition(contract: EntityContract, landing_dir: Path, specs: list[FileSpec],
                    delivered: date) -> ParsedPartition:
    """Read (and hash) every file of the delivery folder; no database work."""
    folder = landing_dir / contract.source / delivered.isoformat()
    files = _files_of(folder, landing_dir, specs) if folder.is_dir() else []
    batch = RowBatch(contract, None)  # the writer stamps _loaded_at when it commits
    parsed = [_parse_file(contract, item, delivered, batch) for item in files]
    return ParsedPartition(delivered, parsed, batch.table())


def load_partition(conn: duckdb.DuckDBPyConnection, contract: EntityContract, landing_dir: Path,
                   specs: list[FileSpec], delivered: date, create_tables: bool = True,
                   parsed: ParsedPartition | None = None, registry: _RegistryView | None = None) -> LoadReport:
    """Load (or re-load) one delivery folder of one entity in one transaction.

    Raises MalformedFileError, naming the file, when a file to load cannot be read; nothing is
    written then. ``create_tables=False`` skips the DDL when the caller has already run
    ``ensure_tables``; ``parsed`` is the folder already read (by a worker process); ``registry``
    the entity's registry as a range load keeps it (updated here once the delivery commits).
    """
    parsed = parsed or parse_partition(contract, landing_dir, specs, delivered)
    loaded_at = utc_now()
    report = LoadReport(contract.table)
    registry_rows: list[dict] = []
    loaded_rows: list[pa.Table] = []
    quarantine: list[dict] = []
    if create_tables:
        ensure_tables(conn, contract)
    conn.execute("BEGIN TRANSACTION")
    try:
        elsewhere = registry if registry is not None else _RegistryView(
            conn, contract, [f.item.name for f in parsed.files], delivered)
        # Forget what this partition loaded before (re-materialization replaces it). Rows and
        # quarantine entries are only ever written with the partition's registry rows, so a
        # partition the registry does not know has nothing to forget.
        if delivered in elsewhere.registered:
            conn.execute(f"DELETE FROM {contract.table} WHERE _delivery_date = ?", [delivered])
            conn.execute(f"DELETE FROM {QUARANTINE_TABLE} WHERE source = ? AND entity = ? AND delivery_date = ?",
                         [contract.source, contract.entity, delivered])
            conn.execute(f"DELETE FROM {REGISTRY_TABLE} WHERE source = ? AND entity = ? AND delivery_date = ?",
                         [contract.source, contract.entity, delivered])
        loaded_here: dict[str, str] = {}  # name/sha256 → file, within this partition
        loaded: list[_Delivered] = []
        for outcome in parsed.files:
            item = outcome.item
            skip = _skip_reason(elsewhere, item, delivered, loaded_here)
            if skip:
                skipped = outcome.report.rows_read
                file_report = FileReport(item.rel, delivered.isoformat(), None, rows_read=skipped, status=skip[0],
                                         rows_skipped=skipped, replaced_by=skip[1])
            else:
                if outcome.error is not None:
                    raise outcome.error
                later_copy = elsewhere.first(item, delivered, later=True, same_bytes=True)
                if later_copy:  # loaded out of order: this earlier delivery is the original
                    _evict(conn, contract, later_copy[0], "duplicate", item.rel)
                    elsewhere.forget(item, later_copy[0])
                earlier_version = elsewhere.first(item, delivered, later=False, same_bytes=False)
                if earlier_version and earlier_version[2] != item.sha256:
                    _evict(conn, contract, earlier_version[0], "superseded", item.rel)
                    elsewhere.forget(item, earlier_version[0])
                file_report = outcome.report
                loaded_rows.append(parsed.rows.slice(outcome.rows_offset, outcome.rows_count))
                quarantine += [{**entry, "loaded_at": loaded_at} for entry in outcome.quarantine]
                report.quarantined_by_reason.update(outcome.reasons)
                report.unknown_columns |= outcome.unknown_columns
                loaded_here[_copy_key(item)] = item.rel
                loaded.append(item)
            report.files.append(file_report)
            registry_rows.append({
                "source": contract.source, "entity": contract.entity, "delivery_date": delivered,
                "file": item.rel, "file_name": item.name, "sha256": item.sha256, "status": file_report.status,
                "replaced_by": file_report.replaced_by, "encoding": file_report.encoding,
                "rows_read": file_report.rows_read, "rows_loaded": file_report.rows_loaded,
                "rows_quarantined": file_report.rows_quarantined, "rows_skipped": file_report.rows_skipped,
                "loaded_at": loaded_at, "size_bytes": item.size_bytes, "modified_ns": item.modified_ns,
            })
        if loaded_rows:
            # One chunk: a mail delivery is one slice per .eml file, and DuckDB inserted 1,400
            # one-row chunks ten times slower than the same rows in one.
            _insert(conn, contract.table, with_loaded_at(pa.concat_tables(loaded_rows).combine_chunks(), loaded_at))
        _insert(conn, QUARANTINE_TABLE, pa.Table.from_pylist(quarantine, schema=QUARANTINE.arrow_schema))
        _insert(conn, REGISTRY_TABLE, pa.Table.from_pylist(registry_rows, schema=REGISTRY.arrow_schema))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    elsewhere.committed(delivered, loaded, registered=bool(registry_rows))
    return report


def _insert(conn: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    if rows.num_rows == 0:
        return
    # DuckDB finds the Arrow table by its variable name (its Python replacement scan): registering
    # and unregistering a view per insert cost half as much again (three inserts per delivery,
    # 7,300 deliveries in a two-year build). The name is one no warehouse table has.
    _funnel_rows_to_insert = rows  # noqa: F841 (read by the query below)
    conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _funnel_rows_to_insert")


# Parsing is CPU-bound Python; with more than this many bytes to read, worker processes parse
# deliveries ahead while this process writes them (DuckDB has one writer). Below it, starting
# the workers (each imports the contracts) costs more than it saves.
PARALLEL_PARSE_MIN_BYTES = 8 * 2**20

# Write-ahead log a range load lets grow before DuckDB checkpoints it into the warehouse file.
RANGE_CHECKPOINT_THRESHOLD = "1GB"


def parse_workers() -> int:
    """Worker processes for parsing: FUNNEL_INGEST_WORKERS, default one per CPU; 0 or 1 parses inline."""
    return workers_from_env("FUNNEL_INGEST_WORKERS")


def _parse_in_worker(resolve: Callable[[str], tuple[EntityContract, list[FileSpec]]], table: str,
                     landing_dir: Path, delivered: date) -> ParsedPartition:
    contract, specs = resolve(table)
    return parse_partition(contract, landing_dir, list(specs), delivered)


def _parsed_ahead(contract: EntityContract, landing_dir: Path, specs: list[FileSpec], chosen: list[date],
                  resolve: Callable[[str], tuple[EntityContract, list[FileSpec]]] | None
                  ) -> Iterator[ParsedPartition | None]:
    """The deliveries in order, parsed by worker processes a few ahead of the writer; None (parse
    inline) when there are no workers, no resolver for them, or too little to read."""
    workers = parse_workers()
    # The entity's own files only (its specs' patterns), not every file of the source's folders.
    folders = [landing_dir / contract.source / d.isoformat() for d in chosen]
    volume = sum(os.stat(folder / name).st_size for folder in folders for name, _ in _matching(folder, specs))
    if resolve is None or workers < 2 or volume < PARALLEL_PARSE_MIN_BYTES:
        yield from (None for _ in chosen)
        return
    pool = process_pool(workers)
    pending: list[Future] = []
    upcoming = iter(chosen)
    for delivered in upcoming:  # keep workers + 1 deliveries in flight: bounded memory
        pending.append(pool.submit(_parse_in_worker, resolve, contract.table, landing_dir, delivered))
        if len(pending) > workers:
            break
    for delivered in upcoming:
        yield pending.pop(0).result()
        pending.append(pool.submit(_parse_in_worker, resolve, contract.table, landing_dir, delivered))
    while pending:
        yield pending.pop(0).result()


def load_entity(conn: duckdb.DuckDBPyConnection, contract: EntityContract, landing_dir: Path,
                specs: list[FileSpec], deliveries: list[date] | None = None,
                resolve: Callable[[str], tuple[EntityContract, list[FileSpec]]] | None = None) -> LoadReport:
    """Load the given deliveries (default: every dated folder of the source), oldest first.

    ``resolve`` (a module-level function: table name → contract and file specs) lets worker
    processes parse the deliveries in parallel; without it they are parsed here.
    """
    folders, ignored = delivery_folders(landing_dir / contract.source)
    chosen = [d for d, _ in folders] if deliveries is None else sorted(deliveries)
    total = LoadReport(contract.table, ignored_folders=ignored)
    ensure_tables(conn, contract)
    # At DuckDB's default (a checkpoint per 16 MB of write-ahead log) a range of deliveries was
    # checkpointed every few commits, each rewriting the table's open row group: a fifth of the
    # writer's time at a million customers. Each delivery still commits on its own.
    conn.execute(f"SET checkpoint_threshold = '{RANGE_CHECKPOINT_THRESHOLD}'")
    try:
        # One delivery (the nightly, a sensor's run) asks for its own files' names, not the whole
        # registry: at a million customers reading all 120k mail files took 0.3–0.45 s.
        registry = _RegistryView(conn, contract) if len(chosen) > 1 else None
        for delivered, parsed in zip(chosen, _parsed_ahead(contract, landing_dir, list(specs), chosen, resolve)):
            report = load_partition(conn, contract, landing_dir, list(specs), delivered, create_tables=False,
                                    parsed=parsed, registry=registry)
            total.files += report.files
            total.quarantined_by_reason.update(report.quarantined_by_reason)
            total.unknown_columns |= report.unknown_columns
    finally:
        conn.execute("RESET checkpoint_threshold")
    return total


def _registry_rows(warehouse: Path, columns: Sequence[str]) -> list[tuple]:
    """``columns`` of every row of the file registry, read-only (null for a column an older
    registry lacks); empty before the first ingest."""
    if not warehouse.exists():
        return []
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        existing = _columns_of(conn, REGISTRY_TABLE)
        if not existing:
            return []
        select = ", ".join(column if column in existing else "NULL" for column in columns)
        return conn.execute(f"SELECT {select} FROM {REGISTRY_TABLE}").fetchall()


def registered_files(warehouse: Path) -> list[tuple[str, str, date, str, str]]:
    """(source, entity, delivery date, file, sha256) of every file in the registry, read-only;
    empty before the first ingest."""
    return _registry_rows(warehouse, ("source", "entity", "delivery_date", "file", "sha256"))


def pending_deliveries(warehouse: Path, landing_dir: Path,
                       entities: list[tuple[EntityContract, list[FileSpec]]]) -> list[date]:
    """Delivery dates with anything the file registry has not seen as it is now: a new folder, a
    new file, a file whose bytes changed, or a registered file that has gone. The nightly run
    ingests only these; reloading the rest would change nothing (loads are idempotent) but costs
    a materialization per entity and date."""
    registered: dict[tuple[str, str, date], set[tuple[str, str]]] = {}
    recorded: dict[str, Fingerprint] = {}
    for source, entity, delivered, file, sha256, size, modified in _registry_rows(
            warehouse, ("source", "entity", "delivery_date", "file", "sha256", "size_bytes", "modified_ns")):
        registered.setdefault((source, entity, delivered), set()).add((file, sha256))
        if size is not None:
            recorded[file] = (size, modified, sha256)
    pending: set[date] = set()
    for contract, specs in entities:
        folders, _ = delivery_folders(landing_dir / contract.source)
        on_disk_dates = set()
        entity_specs = list(specs)
        for delivered, folder in folders:
            on_disk_dates.add(delivered)
            if delivered in pending:
                continue
            known = registered.get((contract.source, contract.entity, delivered))
            if known is None:  # never loaded: pending if anything is there, no need to hash it
                if next(_matching(folder, entity_specs), None) is not None:
                    pending.add(delivered)
            elif {(f.rel, f.sha256) for f in _files_of(folder, landing_dir, entity_specs, recorded)} != known:
                pending.add(delivered)
        pending |= {d for (s, e, d) in registered if (s, e) == (contract.source, contract.entity)
                    and d not in on_disk_dates}
    return sorted(pending)
