"""A model removed from the project leaves no relation behind: after a `dbt run` or `dbt build`,
whatever its selection, the tables and views named like the project's models that no model builds
are dropped; anything else in the warehouse stays."""

from __future__ import annotations

import duckdb

from conftest import dbt

# a removed model's table, its side table (a log of removed keys), a renamed model's view
LEFT_BY_REMOVED_MODELS = {("intermediate", "int_removed_model"), ("intermediate", "int_removed_model__removed"),
                          ("marts", "mart_renamed_since")}
NOT_THE_PROJECTS = {("intermediate", "analyst_notes"), ("raw_crm", "int_scratch")}


def _relations(warehouse) -> set[tuple[str, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return set(conn.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall())


def _plant(warehouse) -> None:
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("CREATE TABLE intermediate.int_removed_model AS SELECT 1 AS x")
        conn.execute("CREATE TABLE intermediate.int_removed_model__removed AS SELECT 1 AS x")
        conn.execute("CREATE VIEW marts.mart_renamed_since AS SELECT 1 AS x")
        conn.execute("CREATE TABLE intermediate.analyst_notes AS SELECT 'keep me' AS note")
        conn.execute("CREATE TABLE raw_crm.int_scratch AS SELECT 1 AS x")


def test_a_run_drops_what_no_model_builds_and_keeps_the_rest(copied_home, tmp_path):
    _plant(copied_home.warehouse)
    before = _relations(copied_home.warehouse)
    assert LEFT_BY_REMOVED_MODELS | NOT_THE_PROJECTS <= before

    # A test run leaves them: only what builds models cleans up.
    tested = dbt("test", "--select", "int_as_of", target=tmp_path / "t1", home=copied_home)
    assert tested.returncode == 0, tested.stdout[-3000:]
    assert _relations(copied_home.warehouse) == before

    # A run of one model: the graph, not the selection, says what the project builds.
    ran = dbt("run", "--select", "int_as_of", target=tmp_path / "t2", home=copied_home)
    assert ran.returncode == 0, ran.stdout[-3000:]
    after = _relations(copied_home.warehouse)
    assert after == before - LEFT_BY_REMOVED_MODELS
    assert ("marts", "dim_customer__build_mark") in after and ("marts", "dim_customer") in after
    # the tables models keep beside their own stay (side_relation)
    assert {("intermediate", "int_identity__components__inputs"),
            ("intermediate", "int_identity__components__build_mark"),
            ("staging", "stg_crm__tasks__rebuilt")} <= after
    for schema, name in sorted(LEFT_BY_REMOVED_MODELS):
        assert f"{schema}.{name}: no model builds it any more; dropped" in ran.stdout
