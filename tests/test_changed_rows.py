"""The `changed_rows` incremental strategy (dbt_project/macros/changed_rows.sql): a run leaves a
table holding exactly what the model computes, and writes only the rows that differ.

On a copy of the demo warehouse, rows of a built table are tampered with (a value changed, a row
deleted, a stray row added) while the model's inputs stay as they were, so the model still
computes the table as built. `dbt run` of the model must then give back the built table, row for
row, having found exactly the tampered keys to write (a tampered key column is two: the key gone
and the key added)."""

from __future__ import annotations

import re

import duckdb
import pytest

from conftest import dbt

# model, its table, its unique key, a text column to tamper with, its stamp column (or None)
MODELS = [
    ("int_identity__records", "intermediate.int_identity__records", ["record_id"], "customer_name", "written_at"),
    ("int_identity__record_keys", "intermediate.int_identity__record_keys", ["record_id", "key_type", "key_value"],
     "key_value", "written_at"),
    ("int_journey_outcomes", "intermediate.int_journey_outcomes", ["journey_id"], "owner_rep_id", None),
]

# the models that log the keys a run removes (config removed_log) in <table>__removed
REMOVED_LOG = {"int_identity__record_keys"}
# models computed for a scope of their keys (changed_rows_scope_query): without a build mark
# they compute and compare everything, which is what this test is about (the scope is
# tests/test_identity_records_from_changes.py's)
SCOPED = {"int_identity__records", "int_identity__record_keys"}


def _rows(conn: duckdb.DuckDBPyConnection, table: str, keys: list[str], stamp: str | None = None) -> dict[tuple, tuple]:
    """Every row of the table by its key (without its stamp column)."""
    excluded = ", ".join(keys + ([stamp] if stamp else []))
    return {row[:len(keys)]: row[len(keys):] for row in conn.execute(
        f"SELECT {', '.join(keys)}, COLUMNS(* EXCLUDE ({excluded})) FROM {table}").fetchall()}


def _stamps(conn: duckdb.DuckDBPyConnection, table: str, keys: list[str], stamp: str) -> dict[tuple, object]:
    return {row[:-1]: row[-1] for row in conn.execute(f"SELECT {', '.join(keys)}, {stamp} FROM {table}").fetchall()}


def _differing_keys(held: dict[tuple, tuple], result: dict[tuple, tuple]) -> int:
    """The keys a diff of the two must write, counted the plain way: on one side only, or on both
    with another row."""
    return len(held.keys() ^ result.keys()) + sum(held[key] != result[key] for key in held.keys() & result.keys())


@pytest.mark.parametrize(("model", "table", "keys", "column", "stamp"), MODELS, ids=[m[0] for m in MODELS])
def test_a_run_restores_the_computed_rows_and_writes_only_those(copied_home, tmp_path, model, table, keys, column, stamp):
    with duckdb.connect(str(copied_home.warehouse)) as conn:
        built = _rows(conn, table, keys, stamp)
        assert len(built) > 100
        copied, changed, deleted = sorted(built)[:3]
        where = " AND ".join(f"{key} = ?" for key in keys)
        stray = tuple(f"stray-{key}" for key in keys)
        conn.execute(f"INSERT INTO {table} BY NAME SELECT * REPLACE ({', '.join(f'? AS {k}' for k in keys)}) "
                     f"FROM {table} WHERE {where}", [*stray, *copied])
        conn.execute(f"UPDATE {table} SET {column} = 'tampered' WHERE {where}", list(changed))
        conn.execute(f"DELETE FROM {table} WHERE {where}", list(deleted))
        if model in SCOPED:
            conn.execute(f"DROP TABLE {table}__build_mark")
        tampered = _rows(conn, table, keys, stamp)
        stamped_before = _stamps(conn, table, keys, stamp) if stamp else {}
    assert stray in tampered and deleted not in tampered and tampered != built
    expected = _differing_keys(tampered, built)
    assert 3 <= expected <= 4  # a tampered key column is a key gone and a key added

    done = dbt("run", "--select", model, "--log-path", str(tmp_path / "logs"), "--log-level-file", "debug",
               target=tmp_path / "target", home=copied_home)
    assert done.returncode == 0, done.stdout[-3000:]
    # the result was compared from a view over the model's SQL, not first written whole into a
    # temporary table (the project's duckdb__create_table_as)
    statements = (tmp_path / "logs" / "dbt.log").read_text(encoding="utf-8")
    assert f'create or replace temporary view "{model}__dbt_tmp' in statements
    assert not re.search(rf'create\s+temporary\s+table\s+"{model}__dbt_tmp', statements)

    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        after = _rows(conn, table, keys, stamp)
        stamped_after = _stamps(conn, table, keys, stamp) if stamp else {}
    assert after == built  # what the model computes, exactly
    if stamp:  # the rows written carry the new run's stamp, the others keep theirs
        rewritten = {key for key in stamped_after if stamped_after[key] != stamped_before.get(key)}
        assert rewritten == {changed, deleted}
        assert min(stamped_after[key] for key in rewritten) > max(stamped_before.values())
    assert f"{table}: {expected} keys whose rows differ from the result are written" in done.stdout, \
        done.stdout[-3000:]
    if model in REMOVED_LOG:  # the keys the run took away are logged, with the run's start
        tampered_key = tuple("tampered" if key == column else value for key, value in zip(keys, changed))
        gone = {stray} | ({tampered_key} if column in keys else set())
        with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
            logged = conn.execute(f"SELECT {', '.join(keys)}, removed_at FROM {table}__removed").fetchall()
        assert {row[:-1] for row in logged} == gone
        assert {row[-1] for row in logged} <= set(stamped_after.values())  # the run's stamp
