"""Write–audit–publish into the serving store: a new version is built beside the current one
and swapped in with one atomic rename.

The same version is also written as Parquet files for tools that prefer files
(``parquet/<version>/<table>.parquet``), made current by atomically re-pointing the
``parquet/current`` link; the last few versions are kept so that a reader in the middle of one
is never cut off.

The warehouse file belongs to the pipeline (DuckDB allows one writing process per file), so BI
tools read only the serving file. A reader that opened the old file keeps reading the old
version (its open file is unaffected by the rename); the next reader opens the new one. Nobody
ever sees half a publish and no reader can block the pipeline or be blocked by it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

PUBLISH_LOG = "publish_log"
PARQUET_DIR = "parquet"
CURRENT_LINK = "current"
PARQUET_VERSIONS_KEPT = 3


@dataclass(frozen=True)
class PublishedVersion:
    version: str
    run_id: str
    published_at: datetime
    path: Path
    row_counts: dict[str, int]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_history(conn: duckdb.DuckDBPyConnection, current: Path) -> None:
    """Carry the previous versions' log into the new file, so the store knows its history."""
    if not current.exists():
        return
    conn.execute(f"ATTACH {str(current)!r} AS previous (READ_ONLY)")
    try:
        has_log = conn.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'previous' AND table_name = ?",
            [PUBLISH_LOG],
        ).fetchone()[0]
        if has_log:
            conn.execute(f"INSERT INTO main.{PUBLISH_LOG} SELECT * FROM previous.main.{PUBLISH_LOG}")
    finally:
        conn.execute("DETACH previous")


def publish_tables(
    warehouse_path: Path, serving_path: Path, tables: Sequence[tuple[str, str]], run_id: str
) -> PublishedVersion:
    """Copy ``tables`` ((schema, name) in the warehouse) into a new serving version and swap it in."""
    serving_path.parent.mkdir(parents=True, exist_ok=True)
    published_at = datetime.now(timezone.utc)
    version = published_at.strftime("%Y%m%dT%H%M%S%fZ")
    staging = serving_path.with_name(f".{serving_path.name}.{version}.tmp")
    row_counts: dict[str, int] = {}
    try:
        conn = duckdb.connect(str(staging))
        try:
            conn.execute(f"ATTACH {str(warehouse_path)!r} AS warehouse (READ_ONLY)")
            for schema, name in tables:
                conn.execute(
                    f"CREATE TABLE main.{_quote(name)} AS "
                    f"SELECT * FROM warehouse.{_quote(schema)}.{_quote(name)}"
                )
                row_counts[name] = conn.execute(f"SELECT count(*) FROM main.{_quote(name)}").fetchone()[0]
            conn.execute("DETACH warehouse")
            conn.execute(
                f"CREATE TABLE main.{PUBLISH_LOG} (version VARCHAR, run_id VARCHAR, "
                "published_at TIMESTAMPTZ, table_name VARCHAR, row_count BIGINT)"
            )
            _copy_history(conn, serving_path)
            conn.executemany(
                f"INSERT INTO main.{PUBLISH_LOG} VALUES (?, ?, ?, ?, ?)",
                [(version, run_id, published_at, name, count) for name, count in row_counts.items()],
            )
            conn.execute("CHECKPOINT")
            _export_parquet(conn, serving_path.parent / PARQUET_DIR, version, [*row_counts, PUBLISH_LOG])
        finally:
            conn.close()
        _fsync(staging)
        os.replace(staging, serving_path)
        _fsync(serving_path.parent)
    except BaseException:
        staging.unlink(missing_ok=True)
        Path(str(staging) + ".wal").unlink(missing_ok=True)
        raise
    return PublishedVersion(version, run_id, published_at, serving_path, row_counts)


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
