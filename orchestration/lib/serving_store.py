"""Write–audit–publish into the serving store: a new version is built beside the current one
and swapped in with one atomic rename.

The same version is also written as Parquet files for tools that prefer files
(``parquet/<version>/<table>.parquet``), made current by atomically re-pointing the
``parquet/current`` link; the last few versions are kept so that a reader in the middle of one
is never cut off.

A new version starts as a copy of the current file. A table with a key (a column the gate has
proved unique and not null) and the same columns as before is brought up to date by difference:
the rows whose key is new, gone or whose values differ are deleted and inserted again, as the
warehouse's ``changed_rows`` models are. A night changes a few thousand of the six million
touchpoints; copying every row into the new file again cost more than finding those. Any other
table is copied whole. Either way the new version holds exactly the warehouse's rows.

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
from collections.abc import Mapping, Sequence
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
class PublishedVersion:
    version: str
    run_id: str
    published_at: datetime
    path: Path
    row_counts: dict[str, int]
    # For each table updated by difference, the keys written (new, gone or changed); a table
    # copied whole is not here.
    keys_written: dict[str, int] = field(default_factory=dict)


def _quote(identifier: str) -> str:
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


def _update_by_difference(conn: duckdb.DuckDBPyConnection, source: str, target: str, key: str,
                          columns: Sequence[str]) -> int:
    """Make ``target`` hold ``source``'s rows, writing only the keys whose row differs (new, gone
    or changed in any column, NULLs included); returns how many keys that was."""
    k = _quote(key)
    held, new = (", ".join(f"{alias}.{_quote(column)}" for column in columns) for alias in ("held", "new"))
    conn.execute(
        f"CREATE OR REPLACE TEMPORARY TABLE changed_keys AS "
        f"SELECT coalesce(new.{k}, held.{k}) AS {k} FROM {source} AS new FULL JOIN {target} AS held ON held.{k} = new.{k} "
        f"WHERE held.{k} IS NULL OR new.{k} IS NULL OR ({held}) IS DISTINCT FROM ({new})"
    )
    changed = conn.execute("SELECT count(*) FROM changed_keys").fetchone()[0]
    if changed:
        conn.execute(f"DELETE FROM {target} AS held USING changed_keys WHERE held.{k} = changed_keys.{k}")
        conn.execute(f"INSERT INTO {target} SELECT {new} FROM {source} AS new SEMI JOIN changed_keys ON changed_keys.{k} = new.{k}")
    conn.execute("DROP TABLE changed_keys")
    return changed


def _publish_table(conn: duckdb.DuckDBPyConnection, schema: str, name: str, key: str | None) -> int | None:
    """Bring ``main.<name>`` of the new version (a copy of the previous one, or empty) to the
    warehouse's table: by difference when it has a key and its columns are unchanged (returns the
    keys written), else whole (returns None)."""
    source, target = f"warehouse.{_quote(schema)}.{_quote(name)}", f"main.{_quote(name)}"
    columns = _columns(conn, schema, name, database="warehouse")
    if key is not None and columns and columns == _columns(conn, "main", name):
        return _update_by_difference(conn, source, target, key, [column for column, _ in columns])
    conn.execute(f"DROP TABLE IF EXISTS {target}")
    conn.execute(f"CREATE TABLE {target} AS SELECT * FROM {source}")
    return None


def _drop_unpublished(conn: duckdb.DuckDBPyConnection, published: set[str]) -> None:
    """The copy of the previous version holds every table it published: drop those no longer published."""
    held = conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'"
    ).fetchall()
    for (name,) in held:
        if name not in published and name != PUBLISH_LOG:
            conn.execute(f"DROP TABLE main.{_quote(name)}")


def publish_tables(
    warehouse_path: Path,
    serving_path: Path,
    tables: Sequence[tuple[str, str]],
    run_id: str,
    keys: Mapping[str, str] | None = None,
) -> PublishedVersion:
    """Copy ``tables`` ((schema, name) in the warehouse) into a new serving version and swap it in.
    ``keys`` names a table's key column (unique and not null in the warehouse), which lets it be
    updated by difference from the previous version."""
    serving_path.parent.mkdir(parents=True, exist_ok=True)
    published_at = datetime.now(timezone.utc)
    version = published_at.strftime("%Y%m%dT%H%M%S%fZ")
    staging = serving_path.with_name(f".{serving_path.name}.{version}.tmp")
    keys = keys or {}
    row_counts: dict[str, int] = {}
    keys_written: dict[str, int] = {}
    try:
        previous_reach = 0
        if serving_path.exists():
            previous_reach = _extent(serving_path)
            shutil.copyfile(serving_path, staging)
        conn = duckdb.connect(str(staging))
        try:
            conn.execute(f"SET checkpoint_threshold = '{NO_AUTOMATIC_CHECKPOINT}'")
            conn.execute(f"ATTACH {str(warehouse_path)!r} AS warehouse (READ_ONLY)")
            _drop_unpublished(conn, {name for _, name in tables})
            for schema, name in tables:
                written = _publish_table(conn, schema, name, keys.get(name))
                if written is not None:
                    keys_written[name] = written
                row_counts[name] = conn.execute(f"SELECT count(*) FROM main.{_quote(name)}").fetchone()[0]
            conn.execute("DETACH warehouse")
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS main.{PUBLISH_LOG} (version VARCHAR, run_id VARCHAR, "
                "published_at TIMESTAMPTZ, table_name VARCHAR, row_count BIGINT)"
            )
            conn.executemany(
                f"INSERT INTO main.{PUBLISH_LOG} VALUES (?, ?, ?, ?, ?)",
                [(version, run_id, published_at, name, count) for name, count in row_counts.items()],
            )
            conn.execute("CHECKPOINT")
            _export_parquet(conn, serving_path.parent / PARQUET_DIR, version, [*row_counts, PUBLISH_LOG])
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
    return PublishedVersion(version, run_id, published_at, serving_path, row_counts, keys_written)


def _export_parquet(conn: duckdb.DuckDBPyConnection, root: Path, version: str, tables: Sequence[str]) -> None:
    """Write the version's tables as Parquet into their own folder, then point ``current`` at it."""
    building = root / f".{version}.tmp"
    building.mkdir(parents=True, exist_ok=True)
    for name in tables:
        conn.execute(f"COPY main.{_quote(name)} TO {str(building / f'{name}.parquet')!r} (FORMAT parquet)")
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
        for file in old.iterdir():
            file.unlink()
        old.rmdir()


def current_version(serving_path: Path) -> dict | None:
    """The version currently published (read-only; safe while the pipeline publishes)."""
    if not serving_path.exists():
        return None
    with duckdb.connect(str(serving_path), read_only=True) as conn:
        row = conn.execute(
            f"SELECT version, run_id, published_at FROM {PUBLISH_LOG} ORDER BY published_at DESC LIMIT 1"
        ).fetchone()
    return None if row is None else {"version": row[0], "run_id": row[1], "published_at": row[2]}
