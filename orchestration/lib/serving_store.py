"""Write–audit–publish into the serving store: a new version is built beside the current one
and swapped in with one atomic rename.

The same version is also written as Parquet files for tools that prefer files
(``parquet/<version>/<table>.parquet``), made current by atomically re-pointing the
``parquet/current`` link; the last few versions are kept so that a reader in the middle of one
is never cut off. A keyed table in which no key changed is not written again: its file is a
hard link to the previous version's (files are never modified once written, so versions can share
them). Writing the Parquet files is most of a publication (six seconds for 900 MB at a million
customers), and after a settings change, or a night retried on the same data, nothing changes.
A large fact table may be written in monthly parts instead (``parquet/<version>/<table>/
<YYYY-MM>.parquet``, by the UTC month of a timestamp column): a night's new and changed rows
fall in the last month or two, so only those parts are written again and the other parts are
hard links to the previous version's, as an unchanged table is; the whole table is the folder's
files together. A table without rows is one empty file, ``empty.parquet``.

A new version starts as a copy of the current file. A table with a key (a column the gate has
proved unique and not null) and the same columns as before is brought up to date by difference:
the rows whose key is new, gone or whose values differ are deleted and inserted again, as the
warehouse's ``changed_rows`` models are. A night changes a few thousand of the six million
touchpoints; copying every row into the new file again cost more than finding those. Any other
table is copied whole. Either way the new version holds exactly the warehouse's rows.

Finding those keys compares every row, unless the warehouse already says which keys changed: a
table published from a ``changed_rows`` model that stamps every row it writes and logs every key
it removes (a ``ChangeLog``) is brought up to date from the keys stamped or logged since the
previous version was published. That is exact when the rows stamped before are still those the
previous version was published from, which every write stamping guarantees, so it is used only
when the warehouse's definition of the table (a view's SQL) is the one the previous version was
published from and the warehouse still holds a row with the newest stamp it held then (not so in
an older copy of the warehouse restored since); and the result is checked: it must hold as many
rows as the warehouse's table (a removal missing from the log, e.g. after a ``--full-refresh`` or
a trimmed log, leaves one too many). Otherwise the table is compared row by row as above.

The warehouse file belongs to the pipeline (DuckDB allows one writing process per file), so BI
tools read only the serving file. A reader that opened the old file keeps reading the old
version (its open file is unaffected by the rename); the next reader opens the new one. Nobody
ever sees half a publish and no reader can block the pipeline or be blocked by it.

A reader that opens the file at the very moment of the rename needs one more guarantee. DuckDB
opens a database file by its path more than once: it reads the headers through one handle,
closes it, and reads the blocks those headers point at through another. When the rename falls
in between, the reader holds the old version's headers and the new version's file. So the new
file keeps every block of the old version where it was, and such a reader reads the old version
whole, as if it had opened a moment earlier. DuckDB's own crash safety does most of this: a
checkpoint never overwrites a block the previous checkpoint uses. Two things are ours to add:
the new version is written with one checkpoint only (a second one could reuse the blocks the
first freed, which are the old version's), and when that checkpoint truncates free blocks off the
end of the file, the old version's bytes past the new end are put back. How far the old version
reaches is recorded on the file itself (an extended attribute), so the bytes put back are never
carried on from one version to the next; where the file system keeps no attributes, the whole
old file counts.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

PUBLISH_LOG = "publish_log"
PARQUET_DIR = "parquet"
CURRENT_LINK = "current"
PARQUET_VERSIONS_KEPT = 3
# Where a version's own blocks end (its size as DuckDB left it), kept on the file so the next
# publication knows how much of it a reader holding its headers can reach.
EXTENT_ATTRIBUTE = "user.funnel.extent"
# A publication writes its version with one checkpoint, at its end: no WAL size may trigger one
# earlier (see the module docstring).
NO_AUTOMATIC_CHECKPOINT = "1000TB"


@dataclass(frozen=True)
class ChangeLog:
    """Where the warehouse records the keys of a published table that changed: the model it is
    published from (``schema.table``, the same key), whose ``stamp_column`` holds when each row
    was last written, and the model's log of removed keys (key, ``removed_at``)."""

    relation: str
    stamp_column: str
    removed_log: str


@dataclass(frozen=True)
class PublishedVersion:
    version: str
    run_id: str
    published_at: datetime
    path: Path
    row_counts: dict[str, int]
    # For each table updated by difference, the keys written (new, gone or changed); a table
    # copied whole is not here.
    keys_written: dict[str, int] = field(default_factory=dict)
    # The tables updated from their warehouse change log (a subset of keys_written's)
    from_change_log: tuple[str, ...] = ()
    # For each table written as Parquet in monthly parts: its parts written, and linked to the
    # previous version's files
    parquet_parts: dict[str, tuple[int, int]] = field(default_factory=dict)


def quote_identifier(identifier: str) -> str:
    """A DuckDB identifier in double quotes, its own double quotes doubled."""
    return '"' + identifier.replace('"', '""') + '"'


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _extent(path: Path) -> int:
    """How many bytes of ``path`` its version's blocks can reach: the size DuckDB left it at, as
    recorded when it was published, else (no attribute: an older store or a file system without
    them) the whole file."""
    size = path.stat().st_size
    try:
        return min(int(os.getxattr(path, EXTENT_ATTRIBUTE)), size)
    except (OSError, AttributeError, ValueError):  # AttributeError: a platform without xattrs
        return size


def _record_extent(path: Path) -> None:
    try:
        os.setxattr(path, EXTENT_ATTRIBUTE, str(path.stat().st_size).encode())
    except (OSError, AttributeError):
        pass  # the next publication then counts the whole file: safe, only larger


def _keep_previous_blocks(previous: Path, new: Path, reach: int) -> None:
    """Put back the bytes of ``previous`` up to ``reach`` that lie past the end of ``new`` (free
    blocks its checkpoint truncated), so a reader holding the previous version's headers finds
    every block they point at."""
    start = new.stat().st_size
    if start >= reach:
        return
    with previous.open("rb") as source, new.open("ab") as target:
        source.seek(start)
        remaining = reach - start
        while remaining:
            chunk = source.read(min(remaining, 1 << 20))
            if not chunk:
                raise OSError(f"{previous} ended before byte {reach} while its blocks were kept in {new}")
            target.write(chunk)
            remaining -= len(chunk)


def _columns(conn: duckdb.DuckDBPyConnection, schema: str, name: str, database: str | None = None) -> list[tuple[str, str]]:
    """(name, type) of a table's columns in order; ``database`` defaults to the new version's file."""
    return conn.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = coalesce(?, current_database()) AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [database, schema, name],
    ).fetchall()


def _part_number(column: str, alias: str | None = None) -> str:
    """SQL for the month part of a row: YYYYMM of ``column`` in UTC (the connection's time zone,
    see publish_tables), 0 for a row without one."""
    c = (f"{alias}." if alias else "") + quote_identifier(column)
    return f"coalesce(year({c}) * 100 + month({c}), 0)"


def _rewrite_changed_keys(conn: duckdb.DuckDBPyConnection, source: str, target: str, key: str,
                          columns: Sequence[str], part_column: str | None = None) -> tuple[int, set[int]]:
    """Write into ``target`` the keys of the temporary table ``changed_keys`` (made by the caller):
    its rows of those keys deleted, ``source``'s rows of them inserted; the temporary table is
    dropped. Returns how many keys that was and, for a table in monthly parts (``part_column``),
    the parts those rows were in or are now in (the parts whose rows changed)."""
    k = quote_identifier(key)
    new = ", ".join(f"new.{quote_identifier(column)}" for column in columns)
    changed = conn.execute("SELECT count(*) FROM changed_keys").fetchone()[0]
    parts: set[int] = set()
    if changed:
        if part_column is not None:
            parts = {number for (number,) in conn.execute(" UNION ".join(
                f"SELECT DISTINCT {_part_number(part_column, 'held')} FROM {table} AS held "
                f"SEMI JOIN changed_keys ON changed_keys.{k} = held.{k}" for table in (target, source))).fetchall()}
        conn.execute(f"DELETE FROM {target} AS held USING changed_keys WHERE held.{k} = changed_keys.{k}")
        conn.execute(f"INSERT INTO {target} SELECT {new} FROM {source} AS new SEMI JOIN changed_keys ON changed_keys.{k} = new.{k}")
    conn.execute("DROP TABLE changed_keys")
    return changed, parts


def _update_by_difference(conn: duckdb.DuckDBPyConnection, source: str, target: str, key: str,
                          columns: Sequence[str], part_column: str | None = None) -> tuple[int, set[int]]:
    """Make ``target`` hold ``source``'s rows, writing only the keys whose row differs (new, gone
    or changed in any column, NULLs included); returns how many keys that was, and the parts they
    changed (_rewrite_changed_keys)."""
    k = quote_identifier(key)
    held, new = (", ".join(f"{alias}.{quote_identifier(column)}" for column in columns) for alias in ("held", "new"))
    conn.execute(
        f"CREATE OR REPLACE TEMPORARY TABLE changed_keys AS "
        f"SELECT coalesce(new.{k}, held.{k}) AS {k} FROM {source} AS new FULL JOIN {target} AS held ON held.{k} = new.{k} "
        f"WHERE held.{k} IS NULL OR new.{k} IS NULL OR ({held}) IS DISTINCT FROM ({new})"
    )
    return _rewrite_changed_keys(conn, source, target, key, columns, part_column)


def _qualified(name: str) -> str:
    return "warehouse." + ".".join(quote_identifier(part) for part in name.split("."))


def _newest_stamp(conn: duckdb.DuckDBPyConnection, log: ChangeLog) -> datetime | None:
    stamp = quote_identifier(log.stamp_column)
    return conn.execute(f"SELECT max({stamp}) FROM {_qualified(log.relation)}").fetchone()[0]


def _still_holds(conn: duckdb.DuckDBPyConnection, log: ChangeLog, stamp: datetime) -> bool:
    """Whether the warehouse holds a row stamped ``stamp`` (the newest when the previous version
    was published): the rows stamped then are still there, not those of an older copy."""
    column = quote_identifier(log.stamp_column)
    return bool(conn.execute(f"SELECT count(*) FROM {_qualified(log.relation)} WHERE {column} = $stamp",
                             {"stamp": stamp}).fetchone()[0])


def _update_from_change_log(conn: duckdb.DuckDBPyConnection, source: str, target: str, key: str,
                            columns: Sequence[str], log: ChangeLog, since: datetime,
                            part_column: str | None = None) -> tuple[int, set[int], bool]:
    """Make ``target`` (``source``'s rows when the newest stamp was ``since``) hold ``source``'s
    rows by writing the keys ``log`` has stamped or logged as removed since then; returns how many
    keys that was, the parts they changed (_rewrite_changed_keys), and False when the result holds
    another number of rows than ``source`` (only a removal missing from the log can cause it), the
    target then being only partly up to date."""
    k = quote_identifier(key)
    relation, removed = _qualified(log.relation), _qualified(log.removed_log)
    conn.execute(
        f"CREATE OR REPLACE TEMPORARY TABLE changed_keys AS "
        f"SELECT {k} FROM {relation} WHERE {quote_identifier(log.stamp_column)} > $since "
        f"UNION SELECT {k} FROM {removed} WHERE removed_at > $since",
        {"since": since},
    )
    changed, parts = _rewrite_changed_keys(conn, source, target, key, columns, part_column)
    (held,), (wanted,) = (conn.execute(f"SELECT count(*) FROM {table}").fetchall() for table in (target, source))
    return changed, parts, held == wanted


def _definition(conn: duckdb.DuckDBPyConnection, schema: str, name: str) -> str:
    """A digest of how the warehouse defines the table (a view's SQL, a table's DDL)."""
    row = conn.execute(
        "SELECT md5(sql) FROM duckdb_views() WHERE database_name = 'warehouse' AND schema_name = ? AND view_name = ? "
        "UNION ALL SELECT md5(sql) FROM duckdb_tables() WHERE database_name = 'warehouse' AND schema_name = ? AND table_name = ?",
        [schema, name, schema, name],
    ).fetchone()
    return row[0] if row else ""


@dataclass(frozen=True)
class _Source:
    """What a table was published from: the warehouse's definition of it and, for a table with a
    change log, the newest stamp of its rows."""

    definition: str | None
    newest_stamp: datetime | None = None


def _previous_version(conn: duckdb.DuckDBPyConnection) -> str | None:
    """The version the new one is a copy of (None for a new store): the newest in its log."""
    if not _columns(conn, "main", PUBLISH_LOG):
        return None
    return conn.execute(f"SELECT max(version) FROM main.{PUBLISH_LOG}").fetchone()[0]


def _previous_sources(conn: duckdb.DuckDBPyConnection, version: str | None) -> dict[str, _Source]:
    """What each table of the previous version (``version``, see _previous_version) was published
    from, read from the copy of it (nothing for a new store, or for a version published before
    these were recorded)."""
    log_columns = {name for name, _ in _columns(conn, "main", PUBLISH_LOG)}
    if version is None or not {"source_definition", "source_newest_stamp"} <= log_columns:
        return {}
    rows = conn.execute(
        f"SELECT table_name, source_definition, source_newest_stamp FROM main.{PUBLISH_LOG} WHERE version = ?",
        [version],
    ).fetchall()
    return {name: _Source(definition, stamp) for name, definition, stamp in rows}


@dataclass(frozen=True)
class _Written:
    """How a table of the new version was brought up to date: the keys written (None: copied
    whole), whether its change log gave them, and the monthly parts whose rows changed (None:
    copied whole, so all; empty for a table not in parts)."""

    keys: int | None
    from_change_log: bool = False
    parts: frozenset[int] | None = None


def _publish_table(conn: duckdb.DuckDBPyConnection, schema: str, name: str, key: str | None,
                   log: ChangeLog | None, previous: _Source | None, source_now: _Source,
                   part_column: str | None = None) -> _Written:
    """Bring ``main.<name>`` of the new version (a copy of the previous one, or empty) to the
    warehouse's table: from its change log where it has one and may use it (module docstring),
    else by difference when it has a key and its columns are unchanged, else whole."""
    source, target = f"warehouse.{quote_identifier(schema)}.{quote_identifier(name)}", f"main.{quote_identifier(name)}"
    columns = _columns(conn, schema, name, database="warehouse")
    if key is not None and columns and columns == _columns(conn, "main", name):
        names = [column for column, _ in columns]
        if (log is not None and previous is not None and previous.newest_stamp is not None
                and previous.definition == source_now.definition and _still_holds(conn, log, previous.newest_stamp)):
            written, parts, complete = _update_from_change_log(conn, source, target, key, names, log,
                                                               previous.newest_stamp, part_column)
            if complete:
                return _Written(written, True, frozenset(parts))
            more, more_parts = _update_by_difference(conn, source, target, key, names, part_column)
            return _Written(written + more, False, frozenset(parts | more_parts))
        written, parts = _update_by_difference(conn, source, target, key, names, part_column)
        return _Written(written, False, frozenset(parts))
    conn.execute(f"DROP TABLE IF EXISTS {target}")
    conn.execute(f"CREATE TABLE {target} AS SELECT * FROM {source}")
    return _Written(None)


def _drop_unpublished(conn: duckdb.DuckDBPyConnection, published: set[str]) -> None:
    """The copy of the previous version holds every table it published: drop those no longer published."""
    held = conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'"
    ).fetchall()
    for (name,) in held:
        if name not in published and name != PUBLISH_LOG:
            conn.execute(f"DROP TABLE main.{quote_identifier(name)}")


def publish_tables(
    warehouse_path: Path,
    serving_path: Path,
    tables: Sequence[tuple[str, str]],
    run_id: str,
    keys: Mapping[str, str] | None = None,
    change_logs: Mapping[str, ChangeLog] | None = None,
    parquet_parts: Mapping[str, str] | None = None,
) -> PublishedVersion:
    """Copy ``tables`` ((schema, name) in the warehouse) into a new serving version and swap it in.
    ``keys`` names a table's key column (unique and not null in the warehouse), which lets it be
    updated by difference from the previous version; ``change_logs`` where the warehouse records
    which of a keyed table's keys changed, which spares comparing its rows; ``parquet_parts`` the
    tables written as Parquet in monthly parts, each by the month of its timestamp column named."""
    serving_path.parent.mkdir(parents=True, exist_ok=True)
    published_at = datetime.now(timezone.utc)
    version = published_at.strftime("%Y%m%dT%H%M%S%fZ")
    staging = serving_path.with_name(f".{serving_path.name}.{version}.tmp")
    keys, change_logs, parquet_parts = keys or {}, change_logs or {}, parquet_parts or {}
    row_counts: dict[str, int] = {}
    changed_parts: dict[str, frozenset[int] | None] = {}
    keys_written: dict[str, int] = {}
    sources: dict[str, _Source] = {}
    from_change_log: list[str] = []
    try:
        previous_reach = 0
        if serving_path.exists():
            previous_reach = _extent(serving_path)
            shutil.copyfile(serving_path, staging)
        conn = duckdb.connect(str(staging))
        try:
            conn.execute(f"SET checkpoint_threshold = '{NO_AUTOMATIC_CHECKPOINT}'")
            # Monthly parts are UTC months whatever the machine's zone: a version's parts must
            # match the previous version's, whose files it links.
            conn.execute("SET TimeZone = 'UTC'")
            conn.execute(f"ATTACH {str(warehouse_path)!r} AS warehouse (READ_ONLY)")
            _drop_unpublished(conn, {name for _, name in tables})
            previous_version = _previous_version(conn)
            previous = _previous_sources(conn, previous_version)
            for schema, name in tables:
                log = change_logs.get(name)
                sources[name] = _Source(_definition(conn, schema, name), _newest_stamp(conn, log) if log else None)
                written = _publish_table(conn, schema, name, keys.get(name), log, previous.get(name),
                                         sources[name], parquet_parts.get(name))
                if written.keys is not None:
                    keys_written[name] = written.keys
                if written.from_change_log:
                    from_change_log.append(name)
                changed_parts[name] = written.parts
                row_counts[name] = conn.execute(f"SELECT count(*) FROM main.{quote_identifier(name)}").fetchone()[0]
            conn.execute("DETACH warehouse")
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS main.{PUBLISH_LOG} (version VARCHAR, run_id VARCHAR, "
                "published_at TIMESTAMPTZ, table_name VARCHAR, row_count BIGINT)"
            )
            # What each table was published from (the next publication's change logs check it);
            # added to a store published before they were recorded.
            conn.execute(f"ALTER TABLE main.{PUBLISH_LOG} ADD COLUMN IF NOT EXISTS source_definition VARCHAR")
            conn.execute(f"ALTER TABLE main.{PUBLISH_LOG} ADD COLUMN IF NOT EXISTS source_newest_stamp TIMESTAMPTZ")
            conn.executemany(
                f"INSERT INTO main.{PUBLISH_LOG} (version, run_id, published_at, table_name, row_count, "
                "source_definition, source_newest_stamp) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(version, run_id, published_at, name, count, sources[name].definition, sources[name].newest_stamp)
                 for name, count in row_counts.items()],
            )
            conn.execute("CHECKPOINT")
            unchanged = {name for name, written in keys_written.items() if written == 0}
            parts_written = _export_parquet(conn, serving_path.parent / PARQUET_DIR, version,
                                            [*row_counts, PUBLISH_LOG], previous_version, unchanged,
                                            parquet_parts, changed_parts)
        finally:
            conn.close()
        _record_extent(staging)
        if previous_reach:
            _keep_previous_blocks(serving_path, staging, previous_reach)
        _fsync(staging)
        os.replace(staging, serving_path)
        _fsync(serving_path.parent)
    except BaseException:
        staging.unlink(missing_ok=True)
        Path(str(staging) + ".wal").unlink(missing_ok=True)
        raise
    return PublishedVersion(version, run_id, published_at, serving_path, row_counts, keys_written,
                            tuple(from_change_log), parts_written)


def _linked(held: Path, target: Path) -> bool:
    """Whether ``target`` could be made a hard link to ``held`` (not when ``held`` is gone, e.g.
    pruned, or the file system has no hard links)."""
    try:
        os.link(held, target)
    except OSError:
        return False
    return True


PART_COLUMN = "__funnel_part"
EMPTY_PART = "empty"
UNDATED_PART = "undated"


def _part_label(number: int) -> str:
    """A part's file name stem: 2026-11 for 202611, ``undated`` for the rows without a month."""
    return f"{number // 100:04d}-{number % 100:02d}" if number else UNDATED_PART


def _part_number_of(label: str) -> int | None:
    """The part number of a file name stem (see _part_label); None for ``empty``."""
    if label == EMPTY_PART:
        return None
    if label == UNDATED_PART:
        return 0
    year, month = label.split("-")
    return int(year) * 100 + int(month)


def _export_parts(conn: duckdb.DuckDBPyConnection, name: str, column: str, folder: Path,
                  held: Path | None, changed: frozenset[int] | None) -> tuple[int, int]:
    """Write table ``name`` into ``folder`` as one file per month of ``column``. The parts not in
    ``changed`` (None: all changed) link to their files in ``held`` (the previous version's
    folder of the table) where they are there; the others are written in one pass. Returns the
    files written and the files linked."""
    folder.mkdir()
    kept: set[int] = set()
    every_unchanged_part_linked = changed is not None and held is not None and held.is_dir()
    if every_unchanged_part_linked:
        for file in sorted(held.glob("*.parquet")):
            number = _part_number_of(file.name.split(".")[0])
            if number is not None and number not in changed:
                if _linked(file, folder / file.name):
                    kept.add(number)
                else:
                    every_unchanged_part_linked = False
    table, part = f"main.{quote_identifier(name)}", _part_number(column)
    linked = sum(1 for _ in folder.iterdir())
    if every_unchanged_part_linked and not changed and kept:
        return 0, linked  # the rows outside the linked parts are those of changed parts, and none changed
    where = f" WHERE {part} NOT IN ({', '.join(map(str, sorted(kept)))})" if kept else ""
    written = folder.with_name(f".{name}.parts")
    conn.execute(f"COPY (SELECT *, {part} AS {PART_COLUMN} FROM {table}{where}) TO {str(written)!r} "
                 f"(FORMAT parquet, PARTITION_BY ({PART_COLUMN}))")
    for directory in sorted(written.glob(f"{PART_COLUMN}=*")) if written.is_dir() else []:
        label = _part_label(int(directory.name.split("=", 1)[1]))
        # DuckDB writes one file per part; should it write more, each keeps its own name.
        for index, file in enumerate(sorted(directory.iterdir())):
            os.replace(file, folder / (f"{label}.parquet" if index == 0 else f"{label}.{index}.parquet"))
        directory.rmdir()
    if written.is_dir():
        written.rmdir()
    if not any(folder.iterdir()):  # no rows: one empty file keeps the table's columns readable
        conn.execute(f"COPY {table} TO {str(folder / f'{EMPTY_PART}.parquet')!r} (FORMAT parquet)")
    return sum(1 for _ in folder.iterdir()) - linked, linked


def _export_parquet(conn: duckdb.DuckDBPyConnection, root: Path, version: str, tables: Sequence[str],
                    previous_version: str | None = None, unchanged: Collection[str] = (),
                    parts: Mapping[str, str] | None = None,
                    changed_parts: Mapping[str, frozenset[int] | None] | None = None) -> dict[str, tuple[int, int]]:
    """Write the version's tables as Parquet into their own folder, then point ``current`` at it.
    A table of ``unchanged`` (the same rows as in ``previous_version``, of which this version is
    a copy) links to that version's file where it is still there instead of being written again;
    a table of ``parts`` is a folder of monthly parts, of which those not in its ``changed_parts``
    link to the previous version's likewise. Returns each such table's parts written and linked."""
    parts, changed_parts = parts or {}, changed_parts or {}
    counts: dict[str, tuple[int, int]] = {}
    building = root / f".{version}.tmp"
    building.mkdir(parents=True, exist_ok=True)
    for name in tables:
        # The previous version's folder, not `current`: that is the version this one was copied
        # from, whatever `current` points at (a publication stopped between its two renames).
        if name in parts:
            held_parts = root / previous_version / name if previous_version else None
            changed = frozenset() if name in unchanged else changed_parts.get(name)
            counts[name] = _export_parts(conn, name, parts[name], building / name, held_parts, changed)
            continue
        target = building / f"{name}.parquet"
        held = root / previous_version / f"{name}.parquet" if previous_version else None
        if name in unchanged and held is not None and _linked(held, target):
            continue
        conn.execute(f"COPY main.{quote_identifier(name)} TO {str(target)!r} (FORMAT parquet)")
    final = root / version
    os.replace(building, final)
    link, current = root / f".{CURRENT_LINK}.{version}.tmp", root / CURRENT_LINK
    link.symlink_to(version, target_is_directory=True)
    if current.is_dir() and not current.is_symlink():  # a copy of the store that followed the link
        shutil.rmtree(current)
    os.replace(link, current)  # rename over the old link: readers see one or the other
    _fsync(root)
    versions = sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))
    for old in versions[:-PARQUET_VERSIONS_KEPT]:
        shutil.rmtree(old)
    return counts


def parquet_tables(version_folder: Path) -> dict[str, str]:
    """Each table of a Parquet version (``parquet/<version>`` or ``parquet/current``) and what to
    read it by: its file, or the files of its monthly parts (a glob DuckDB's ``read_parquet`` and
    most Parquet readers take)."""
    tables = {path.stem: str(path) for path in version_folder.glob("*.parquet")}
    tables.update({path.name: str(path / "*.parquet") for path in version_folder.iterdir()
                   if path.is_dir() and not path.name.startswith(".")})
    return dict(sorted(tables.items()))


def current_version(serving_path: Path) -> dict | None:
    """The version currently published (read-only; safe while the pipeline publishes)."""
    if not serving_path.exists():
        return None
    with duckdb.connect(str(serving_path), read_only=True) as conn:
        row = conn.execute(
            f"SELECT version, run_id, published_at FROM {PUBLISH_LOG} ORDER BY published_at DESC LIMIT 1"
        ).fetchone()
    return None if row is None else {"version": row[0], "run_id": row[1], "published_at": row[2]}
