"""A new serving version starts from the previous one and updates keyed tables by difference: it
must still hold exactly the warehouse's rows, whatever changed (values, NULLs, rows gone or new,
columns, the published set)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.lib.serving_store import publish_tables

TABLES = [("marts", "keyed"), ("marts", "plain")]
KEYS = {"keyed": "k"}


def _warehouse(path: Path, *statements: str) -> None:
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS marts")
        for statement in statements:
            conn.execute(statement)


def _rows(path: Path, table: str, database_schema: str = "main") -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return sorted(conn.execute(f"SELECT * FROM {database_schema}.{table}").fetchall(), key=repr)


def _tables(path: Path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return {row[0] for row in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def _assert_serving_equals_warehouse(warehouse: Path, serving: Path, tables=TABLES) -> None:
    for schema, name in tables:
        assert _rows(serving, name) == _rows(warehouse, name, schema), name


def test_a_keyed_table_is_updated_by_difference_to_exactly_the_warehouse_rows(tmp_path):
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving" / "funnel.duckdb"
    _warehouse(
        warehouse,
        "CREATE TABLE marts.keyed AS SELECT i AS k, i * 10 AS v, 'x' || i AS w FROM range(1000) t(i)",
        "CREATE TABLE marts.plain AS SELECT i % 3 AS v FROM range(10) t(i)",
    )
    first = publish_tables(warehouse, serving, TABLES, "run-1", KEYS)
    assert first.keys_written == {}  # nothing to start from: copied whole

    _warehouse(
        warehouse,
        "UPDATE marts.keyed SET v = -1 WHERE k = 5",          # a value changed
        "UPDATE marts.keyed SET w = NULL WHERE k = 6",        # a value became NULL
        "DELETE FROM marts.keyed WHERE k = 7",                # a row gone
        "INSERT INTO marts.keyed VALUES (5000, 1, 'new')",    # a row new
        "INSERT INTO marts.plain VALUES (1)",                 # the duplicate rows of a table without key
    )
    second = publish_tables(warehouse, serving, TABLES, "run-2", KEYS)

    assert second.keys_written == {"keyed": 4}
    assert second.row_counts == {"keyed": 1000, "plain": 11}
    _assert_serving_equals_warehouse(warehouse, serving)
    with duckdb.connect(str(serving), read_only=True) as conn:
        assert conn.execute("SELECT DISTINCT run_id FROM publish_log ORDER BY 1").fetchall() == [("run-1",), ("run-2",)]
    # The Parquet copy of the new version holds the same rows.
    current = (serving.parent / "parquet" / "current").resolve()
    assert _parquet_rows(current / "keyed.parquet") == _rows(warehouse, "keyed", "marts")

    third = publish_tables(warehouse, serving, TABLES, "run-3", KEYS)
    assert third.keys_written == {"keyed": 0}
    _assert_serving_equals_warehouse(warehouse, serving)
    # Nothing changed in the keyed table: its Parquet file is the second version's, not written
    # again; the table copied whole and the log are.
    parquet = serving.parent / "parquet"
    for name, shared in [("keyed", True), ("plain", False), ("publish_log", False)]:
        assert (parquet / third.version / f"{name}.parquet").samefile(parquet / second.version / f"{name}.parquet") is shared, name
    assert _parquet_rows(parquet / third.version / "keyed.parquet") == _rows(warehouse, "keyed", "marts")


def _parquet_rows(path: Path) -> list[tuple]:
    with duckdb.connect() as conn:
        return sorted(conn.execute(f"SELECT * FROM '{path}'").fetchall(), key=repr)


def test_an_unchanged_table_links_the_parquet_of_the_version_it_was_copied_from(tmp_path):
    """A publication that stopped after pointing `current` at its Parquet files but before
    swapping its database in leaves `current` ahead of the published version. The next one starts
    from the published version, so an unchanged table must take that version's file, not the
    file `current` points at."""
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving" / "funnel.duckdb"
    _warehouse(warehouse, "CREATE TABLE marts.keyed AS SELECT i AS k, i * 10 AS v FROM range(100) t(i)",
               "CREATE TABLE marts.plain AS SELECT 1 AS v")
    first = publish_tables(warehouse, serving, TABLES, "run-1", KEYS)
    parquet = serving.parent / "parquet"
    stopped = parquet / "99991231T000000000000Z"  # its Parquet written, its database never swapped in
    stopped.mkdir()
    with duckdb.connect() as conn:
        conn.execute(f"COPY (SELECT 1 AS k, -1 AS v) TO '{stopped / 'keyed.parquet'}' (FORMAT parquet)")
    (parquet / "current").unlink()
    (parquet / "current").symlink_to(stopped.name, target_is_directory=True)

    second = publish_tables(warehouse, serving, TABLES, "run-2", KEYS)

    assert second.keys_written == {"keyed": 0}
    assert (parquet / second.version / "keyed.parquet").samefile(parquet / first.version / "keyed.parquet")
    assert _parquet_rows(parquet / "current" / "keyed.parquet") == _rows(warehouse, "keyed", "marts")


def test_a_table_whose_columns_changed_is_copied_whole_and_an_unpublished_one_dropped(tmp_path):
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving" / "funnel.duckdb"
    _warehouse(
        warehouse,
        "CREATE TABLE marts.keyed AS SELECT i AS k, i * 10 AS v FROM range(100) t(i)",
        "CREATE TABLE marts.plain AS SELECT 1 AS v",
    )
    publish_tables(warehouse, serving, TABLES, "run-1", KEYS)

    _warehouse(
        warehouse,
        "ALTER TABLE marts.keyed ADD COLUMN w VARCHAR DEFAULT 'added'",
        "ALTER TABLE marts.keyed ALTER v TYPE DOUBLE",
    )
    second = publish_tables(warehouse, serving, [("marts", "keyed")], "run-2", KEYS)

    assert second.keys_written == {}
    _assert_serving_equals_warehouse(warehouse, serving, [("marts", "keyed")])
    with duckdb.connect(str(serving), read_only=True) as conn:
        assert conn.execute("SELECT data_type FROM duckdb_columns() WHERE table_name = 'keyed' AND column_name = 'v'"
                            ).fetchone() == ("DOUBLE",)
    assert _tables(serving) == {"keyed", "publish_log"}
