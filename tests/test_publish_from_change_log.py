"""A published table with a change log (a stamped model and its removed log) is brought up to
date from the keys stamped or logged since the previous version, and falls back to comparing rows
whenever that could miss something: the new version always holds exactly the warehouse's rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.serving_store import ChangeLog, publish_tables

TABLES = [("marts", "pub")]
KEYS = {"pub": "k"}
LOGS = {"pub": ChangeLog("marts.t", "written_at", "marts.t__removed")}
VIEW = "CREATE OR REPLACE VIEW marts.pub AS SELECT k, v FROM marts.t"


def _sql(path: Path, *statements: str) -> None:
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS marts")
        for statement in statements:
            conn.execute(statement)


def _write(stamp: str, rows: str) -> str:
    """A write as changed_rows makes it: the rows' keys deleted, the rows inserted with the run's stamp."""
    return (f"DELETE FROM marts.t WHERE k IN (SELECT k FROM (VALUES {rows}) AS r(k, v)); "
            f"INSERT INTO marts.t SELECT k, v, TIMESTAMPTZ '{stamp}' FROM (VALUES {rows}) AS r(k, v)")


def _remove(stamp: str, key: int) -> str:
    """A removal as changed_rows makes it: logged, then deleted."""
    return f"INSERT INTO marts.t__removed VALUES ({key}, TIMESTAMPTZ '{stamp}'); DELETE FROM marts.t WHERE k = {key}"


def _rows(path: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return sorted(conn.execute(f"SELECT * FROM {table}").fetchall())


@pytest.fixture
def published(tmp_path):
    """A warehouse of 1,000 stamped rows, published once (whole: there is no previous version)."""
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving" / "funnel.duckdb"
    _sql(warehouse,
         "CREATE TABLE marts.t AS SELECT i AS k, i * 10 AS v, TIMESTAMPTZ '2026-01-01 00:00:00+00' AS written_at FROM range(1000) t(i)",
         "CREATE TABLE marts.t__removed (k BIGINT, removed_at TIMESTAMPTZ)",
         VIEW)
    first = publish_tables(warehouse, serving, TABLES, "run-1", KEYS, LOGS)
    assert first.from_change_log == () and first.keys_written == {}
    return warehouse, serving


def _assert_exact(warehouse: Path, serving: Path) -> None:
    assert _rows(serving, "pub") == _rows(warehouse, "marts.pub")


def test_the_keys_stamped_or_logged_since_are_written_and_nothing_else_compared(published):
    warehouse, serving = published
    _sql(warehouse, _write("2026-01-02 00:00:00+00", "(5, -1), (5000, 1)"), _remove("2026-01-02 00:00:00+00", 7))
    second = publish_tables(warehouse, serving, TABLES, "run-2", KEYS, LOGS)
    assert second.from_change_log == ("pub",)
    assert second.keys_written == {"pub": 3}  # 5 changed, 5000 new, 7 gone
    _assert_exact(warehouse, serving)

    # A row written again with the same values is written, and still nothing else.
    _sql(warehouse, _write("2026-01-03 00:00:00+00", "(6, 60)"))
    third = publish_tables(warehouse, serving, TABLES, "run-3", KEYS, LOGS)
    assert third.from_change_log == ("pub",) and third.keys_written == {"pub": 1}
    _assert_exact(warehouse, serving)
    # The Parquet copy of the version holds the same rows.
    current = (serving.parent / "parquet" / "current").resolve()
    with duckdb.connect() as conn:
        assert sorted(conn.execute(f"SELECT * FROM '{current}/pub.parquet'").fetchall()) == _rows(warehouse, "marts.pub")


def _assert_compared(warehouse: Path, serving: Path, run_id: str, keys_written: int) -> None:
    """Publishing now compares rows (the change log is not used) and gives the warehouse's rows."""
    version = publish_tables(warehouse, serving, TABLES, run_id, KEYS, LOGS)
    assert version.from_change_log == ()
    assert version.keys_written == {"pub": keys_written}
    _assert_exact(warehouse, serving)


def test_a_removal_missing_from_the_log_falls_back_to_comparing_rows(published):
    warehouse, serving = published
    # e.g. a --full-refresh: rows gone without a log entry
    _sql(warehouse, "DELETE FROM marts.t WHERE k IN (1, 2)", _write("2026-01-02 00:00:00+00", "(3, 0)"))
    _assert_compared(warehouse, serving, "run-2", 3)


def test_a_changed_definition_falls_back_to_comparing_rows(published):
    warehouse, serving = published
    # every row differs, no stamp moved
    _sql(warehouse, "CREATE OR REPLACE VIEW marts.pub AS SELECT k, v * 2 AS v FROM marts.t")
    _assert_compared(warehouse, serving, "run-2", 999)  # all but k = 0


def test_an_older_copy_of_the_warehouse_falls_back_to_comparing_rows(published, tmp_path):
    warehouse, serving = published
    older = tmp_path / "older.duckdb"
    shutil.copyfile(warehouse, older)
    _sql(warehouse, _write("2026-01-02 00:00:00+00", "(5, -1)"))
    publish_tables(warehouse, serving, TABLES, "run-2", KEYS, LOGS)
    # The older copy is restored and a build writes another row: as many rows as published, and a
    # stamp newer than the publication, but row 5 is the older copy's.
    shutil.copyfile(older, warehouse)
    _sql(warehouse, _write("2026-01-03 00:00:00+00", "(8, -8)"))
    _assert_compared(warehouse, serving, "run-3", 2)


def test_a_store_published_before_sources_were_recorded_is_compared_once(published):
    warehouse, serving = published
    with duckdb.connect(str(serving)) as conn:  # as an older store holds it
        conn.execute("ALTER TABLE publish_log DROP COLUMN source_definition")
        conn.execute("ALTER TABLE publish_log DROP COLUMN source_newest_stamp")
    _sql(warehouse, _write("2026-01-02 00:00:00+00", "(5, -1)"))
    _assert_compared(warehouse, serving, "run-2", 1)
    _sql(warehouse, _write("2026-01-03 00:00:00+00", "(6, -1)"))
    third = publish_tables(warehouse, serving, TABLES, "run-3", KEYS, LOGS)
    assert third.from_change_log == ("pub",) and third.keys_written == {"pub": 1}
    _assert_exact(warehouse, serving)


def _manifest(inputs: tuple[str, ...] = ("model.p.int_t",), **tracked_config) -> dict:
    published = {"resource_type": "model", "name": "fct_t", "alias": "fct_t", "schema": "marts", "unique_id": "model.p.fct_t",
                 "tags": ["published"], "config": {"meta": {"publish_changes_from": "int_t"}},
                 "depends_on": {"nodes": list(inputs)}}
    config = {"incremental_strategy": "changed_rows", "stamp_column": "written_at", "removed_log": True, "unique_key": "k"}
    tracked = {"resource_type": "model", "name": "int_t", "alias": "int_t", "schema": "intermediate",
               "unique_id": "model.p.int_t", "tags": [], "config": config | tracked_config, "depends_on": {"nodes": []}}
    return {"nodes": {node["unique_id"]: node for node in (published, tracked)}}


def test_the_project_names_its_change_logs_and_a_model_that_cannot_be_one_is_refused():
    from orchestration.defs.publish.assets import PUBLISHED_CHANGE_LOGS, published_change_logs

    assert PUBLISHED_CHANGE_LOGS == {"fct_touchpoints": ChangeLog("intermediate.int_touchpoints", "written_at",
                                                                  "intermediate.int_touchpoints__removed")}
    assert published_change_logs(_manifest(), {"fct_t": "k"}) == {
        "fct_t": ChangeLog("intermediate.int_t", "written_at", "intermediate.int_t__removed")}
    for config, problem in [({"removed_log": False}, "keeps no removed log"), ({"stamp_column": None}, "stamps no rows"),
                            ({"unique_key": "other"}, "not keyed by the published key"),
                            ({"incremental_strategy": "merge"}, "not a changed_rows model")]:
        with pytest.raises(ValueError, match=problem):
            published_change_logs(_manifest(**config), {"fct_t": "k"})
    # a published row that joins another input could change with no stamp moving
    with pytest.raises(ValueError, match="not its only input"):
        published_change_logs(_manifest(inputs=("model.p.int_t", "model.p.dim_other")), {"fct_t": "k"})
