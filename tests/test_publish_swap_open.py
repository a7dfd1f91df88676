"""A BI reader that opens the serving file at the very moment a publication swaps it in.

DuckDB opens a database file by its path more than once: it reads the file's headers through one
handle, closes it, and reads the blocks they point at through a second handle. When the rename
falls between the two, the reader holds the previous version's headers and the new version's
file. This test puts a reader in exactly that place, for publications that grow the file, shrink
it (the checkpoint truncates free blocks off its end) and rewrite a few million keyed rows (a
write-ahead log big enough to trigger DuckDB's automatic checkpoint): every time, the reader must
read the previous version whole, as if it had opened a moment before the swap.

The race itself is seen rarely (a CI run of the concurrency test hit it as "attempted to read
262144 bytes from location ..."); building the reader's view of the file byte for byte makes it
happen every time.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.lib.serving_store import publish_tables

# The main header and the two database headers DuckDB reads through its first handle (3 x 4 KiB).
HEADERS = 3 * 4096

TABLES = [("marts", "kpi_a"), ("marts", "kpi_b")]

# (rows of kpi_a, rows of kpi_b, kpi_a keyed?) per publication after the first. The first publication
# is 300k/100k rows: then one that shrinks the file to a few blocks, one that grows it, one that
# changes every one of 2.1M keyed rows (their deletions fill the write-ahead log past DuckDB's 16 MiB
# automatic-checkpoint threshold), and two small ones by difference (the first keeps the big
# version's blocks, the second must not carry them on).
PUBLICATIONS = [(5, 7, False), (2_100_000, 50_000, True), (2_100_000, 50_000, True), (1_000, 10, True),
                (1_000, 10, True)]


def _write_generation(warehouse: Path, generation: int, rows_a: int, rows_b: int) -> None:
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS marts")
        conn.execute(f"CREATE OR REPLACE TABLE marts.kpi_a AS SELECT i, {generation} AS generation, hash(i, {generation}) AS v"
                     f" FROM range({rows_a}) t(i)")
        conn.execute(f"CREATE OR REPLACE TABLE marts.kpi_b AS SELECT {generation} AS generation, i FROM range({rows_b}) t(i)")


def _content(path: Path) -> tuple:
    """Everything a reader would see: each table's generation, row count and a checksum of its
    rows, and the last run in the publish log."""
    with duckdb.connect(str(path), read_only=True) as conn:
        return (
            conn.execute("SELECT min(generation), max(generation), count(*), sum(hash(i, v)) FROM kpi_a").fetchone(),
            conn.execute("SELECT min(generation), max(generation), count(*), sum(hash(i)) FROM kpi_b").fetchone(),
            conn.execute("SELECT run_id FROM publish_log ORDER BY published_at DESC LIMIT 1").fetchone(),
        )


def test_a_reader_holding_the_previous_headers_reads_the_previous_version_from_the_new_file(tmp_path):
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving" / "funnel.duckdb"
    _write_generation(warehouse, 0, 300_000, 100_000)
    publish_tables(warehouse, serving, TABLES, "run-0", {"kpi_a": "i"})

    sizes = []
    for generation, (rows_a, rows_b, keyed) in enumerate(PUBLICATIONS, start=1):
        previous_bytes, previous = serving.read_bytes(), _content(serving)
        assert previous[2] == (f"run-{generation - 1}",)
        _write_generation(warehouse, generation, rows_a, rows_b)
        publish_tables(warehouse, serving, TABLES, f"run-{generation}", {"kpi_a": "i"} if keyed else {})

        # The new version is whole for a reader that opens it normally.
        assert _content(serving)[0][:3] == (generation, generation, rows_a)
        assert _content(serving)[1][:3] == (generation, generation, rows_b)

        # The reader caught by the swap: the previous version's headers, the new version's blocks.
        caught = tmp_path / f"caught-{generation}.duckdb"
        caught.write_bytes(previous_bytes[:HEADERS] + serving.read_bytes()[HEADERS:])
        assert _content(caught) == previous, f"publication {generation}"
        sizes.append(serving.stat().st_size)

    # The old version's bytes are kept for one publication only: the small version after the big
    # one keeps the big one's blocks, the next small one does not carry them on.
    assert sizes[3] >= sizes[2] > 10 * sizes[4], sizes
