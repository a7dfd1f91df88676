"""A large fact table's Parquet copy in monthly parts: a publication writes the parts of the months
whose rows changed and links the others to the previous version's files, and the parts together
always hold exactly the warehouse's rows, each row in the part of its UTC month."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.lib.serving_store import parquet_tables, publish_tables

TABLES = [("marts", "facts"), ("marts", "plain")]
KEYS = {"facts": "k"}
PARTS = {"facts": "happened_at"}

# k, happened_at (UTC), v: two rows in each of three months, one on the last evening of October in UTC
# (already November in Beijing), and one without a time
ROWS = [
    (1, "2026-09-03 10:00:00+00", 10), (2, "2026-09-28 23:59:59+00", 20),
    (3, "2026-10-01 00:00:00+00", 30), (4, "2026-10-31 20:00:00+00", 40),
    (5, "2026-11-02 08:00:00+00", 50), (6, "2026-11-30 12:00:00+00", 60),
    (7, None, 70),
]


def _warehouse(path: Path, *statements: str) -> None:
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS marts")
        for statement in statements:
            conn.execute(statement)


def _values(rows) -> str:
    return ", ".join(f"({k}, {'NULL' if at is None else repr(at)}::TIMESTAMPTZ, {v})" for k, at, v in rows)


def _warehouse_rows(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return sorted(conn.execute("SELECT k, v FROM marts.facts").fetchall())


def _part_rows(file: Path) -> list[tuple]:
    with duckdb.connect() as conn:
        return sorted(conn.execute(f"SELECT k, v FROM read_parquet('{file}')").fetchall())


def _version(serving: Path, version: str) -> Path:
    return serving.parent / "parquet" / version


def _files(serving: Path, version: str) -> dict[str, Path]:
    return {path.name: path for path in sorted((_version(serving, version) / "facts").iterdir())}


@pytest.fixture
def published(tmp_path):
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving" / "funnel.duckdb"
    _warehouse(warehouse, f"CREATE TABLE marts.facts AS SELECT * FROM (VALUES {_values(ROWS)}) AS t(k, happened_at, v)",
               "CREATE TABLE marts.plain AS SELECT 1 AS v")
    first = publish_tables(warehouse, serving, TABLES, "run-1", KEYS, parquet_parts=PARTS)
    return warehouse, serving, first


def test_each_row_is_in_the_part_of_its_utc_month_and_the_parts_are_the_table(published):
    warehouse, serving, first = published
    files = _files(serving, first.version)
    assert sorted(files) == ["2026-09.parquet", "2026-10.parquet", "2026-11.parquet", "undated.parquet"]
    expected = {"2026-09.parquet": [(1, 10), (2, 20)], "2026-10.parquet": [(3, 30), (4, 40)],
                "2026-11.parquet": [(5, 50), (6, 60)], "undated.parquet": [(7, 70)]}
    assert {name: _part_rows(file) for name, file in files.items()} == expected
    # The folder is what readers name; a table not in parts stays one file.
    tables = parquet_tables(serving.parent / "parquet" / "current")
    assert sorted(tables) == ["facts", "plain", "publish_log"]
    assert tables["plain"].endswith("plain.parquet")
    with duckdb.connect() as conn:
        assert sorted(conn.execute(f"SELECT k, v FROM read_parquet('{tables['facts']}')").fetchall()) == \
            _warehouse_rows(warehouse)
        # every part has the table's columns, no partition column added
        assert [row[0] for row in conn.execute(f"DESCRIBE SELECT * FROM read_parquet('{tables['facts']}')").fetchall()] \
            == ["k", "happened_at", "v"]


def test_a_night_writes_the_months_it_changed_and_links_the_others(published):
    warehouse, serving, first = published
    _warehouse(warehouse,
               "UPDATE marts.facts SET v = -50 WHERE k = 5",                        # November: a value changed
               "UPDATE marts.facts SET happened_at = '2026-10-15 00:00:00+00' WHERE k = 1",  # September -> October
               "INSERT INTO marts.facts VALUES (8, '2026-12-01 01:00:00+00', 80)")  # December: new
    second = publish_tables(warehouse, serving, TABLES, "run-2", KEYS, parquet_parts=PARTS)

    assert second.keys_written == {"facts": 3}
    before, after = _files(serving, first.version), _files(serving, second.version)
    assert sorted(after) == ["2026-09.parquet", "2026-10.parquet", "2026-11.parquet", "2026-12.parquet",
                             "undated.parquet"]
    # only the part whose rows are all as before is shared with the previous version
    linked = {name for name in after if name in before and after[name].samefile(before[name])}
    assert linked == {"undated.parquet"}
    assert first.parquet_parts == {"facts": (4, 0)} and second.parquet_parts == {"facts": (4, 1)}  # written, linked
    assert _part_rows(after["2026-09.parquet"]) == [(2, 20)]
    assert _part_rows(after["2026-10.parquet"]) == [(1, 10), (3, 30), (4, 40)]
    assert _part_rows(after["2026-11.parquet"]) == [(5, -50), (6, 60)]
    assert _part_rows(after["2026-12.parquet"]) == [(8, 80)]

    # a night that changes nothing writes no part
    third = publish_tables(warehouse, serving, TABLES, "run-3", KEYS, parquet_parts=PARTS)
    assert third.keys_written == {"facts": 0} and third.parquet_parts == {"facts": (0, 5)}
    latest = _files(serving, third.version)
    assert sorted(latest) == sorted(after) and all(latest[name].samefile(after[name]) for name in after)


def test_a_month_emptied_has_no_part_and_an_empty_table_one_empty_file(published):
    warehouse, serving, first = published
    _warehouse(warehouse, "DELETE FROM marts.facts WHERE k IN (1, 2)")
    second = publish_tables(warehouse, serving, TABLES, "run-2", KEYS, parquet_parts=PARTS)
    assert sorted(_files(serving, second.version)) == ["2026-10.parquet", "2026-11.parquet", "undated.parquet"]

    _warehouse(warehouse, "DELETE FROM marts.facts")
    third = publish_tables(warehouse, serving, TABLES, "run-3", KEYS, parquet_parts=PARTS)
    files = _files(serving, third.version)
    assert sorted(files) == ["empty.parquet"]
    with duckdb.connect() as conn:
        assert conn.execute(f"SELECT count(*) FROM read_parquet('{files['empty.parquet']}')").fetchone()[0] == 0
        assert [row[0] for row in conn.execute(f"DESCRIBE SELECT * FROM read_parquet('{files['empty.parquet']}')")
                .fetchall()] == ["k", "happened_at", "v"]

    # rows again: the empty file is not carried on beside them
    _warehouse(warehouse, "INSERT INTO marts.facts VALUES (9, '2026-11-05 00:00:00+00', 90)")
    fourth = publish_tables(warehouse, serving, TABLES, "run-4", KEYS, parquet_parts=PARTS)
    files = _files(serving, fourth.version)
    assert sorted(files) == ["2026-11.parquet"] and _part_rows(files["2026-11.parquet"]) == [(9, 90)]


def test_a_table_copied_whole_writes_every_part_and_a_missing_previous_part_is_written_again(published):
    warehouse, serving, first = published
    # a new column: the table is copied whole, so nothing of the previous version is reused
    _warehouse(warehouse, "ALTER TABLE marts.facts ADD COLUMN w VARCHAR DEFAULT 'x'")
    second = publish_tables(warehouse, serving, TABLES, "run-2", KEYS, parquet_parts=PARTS)
    before, after = _files(serving, first.version), _files(serving, second.version)
    assert not any(after[name].samefile(before[name]) for name in after)

    # a part of the previous version gone (a reader's clean-up): written again, not lost
    after["2026-09.parquet"].unlink()
    _warehouse(warehouse, "UPDATE marts.facts SET v = -60 WHERE k = 6")
    third = publish_tables(warehouse, serving, TABLES, "run-3", KEYS, parquet_parts=PARTS)
    latest = _files(serving, third.version)
    assert _part_rows(latest["2026-09.parquet"]) == [(1, 10), (2, 20)]
    assert latest["2026-10.parquet"].samefile(after["2026-10.parquet"])
    with duckdb.connect() as conn:
        assert sorted(conn.execute(f"SELECT k, v FROM read_parquet('{_version(serving, third.version)}/facts/*.parquet')")
                      .fetchall()) == _warehouse_rows(warehouse)


def test_the_project_writes_its_two_large_facts_in_parts_and_refuses_a_column_it_does_not_declare():
    from orchestration.defs.publish.assets import PUBLISHED_PARQUET_PARTS, published_parquet_parts

    assert PUBLISHED_PARQUET_PARTS == {"fct_stage_transitions": "moved_at", "fct_touchpoints": "occurred_at"}

    def manifest(column: str, data_type: str) -> dict:
        return {"nodes": {"model.p.fct_t": {
            "resource_type": "model", "name": "fct_t", "alias": "fct_t", "schema": "marts", "tags": ["published"],
            "unique_id": "model.p.fct_t", "config": {"meta": {"parquet_monthly_parts": column}},
            "columns": {"at": {"name": "at", "data_type": data_type}}, "depends_on": {"nodes": []}}}}

    assert published_parquet_parts(manifest("at", "timestamp with time zone")) == {"fct_t": "at"}
    for column, data_type in [("when", "timestamp"), ("at", "varchar")]:
        with pytest.raises(ValueError, match="not a date or timestamp column the model declares"):
            published_parquet_parts(manifest(column, data_type))


def test_the_months_are_utc_months_on_a_machine_in_another_time_zone(tmp_path):
    """DuckDB takes the machine's zone for its month functions: on a machine in Beijing a row of
    the last evening of October (UTC) would fall in November's part and the next night's parts
    would not match a version published elsewhere. The publication sets UTC itself."""
    import os
    import subprocess
    import sys

    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving" / "funnel.duckdb"
    _warehouse(warehouse, f"CREATE TABLE marts.facts AS SELECT * FROM (VALUES {_values(ROWS)}) AS t(k, happened_at, v)",
               "CREATE TABLE marts.plain AS SELECT 1 AS v")
    script = ("import sys; from pathlib import Path; from orchestration.lib.serving_store import publish_tables; "
              f"publish_tables(Path(sys.argv[1]), Path(sys.argv[2]), {TABLES!r}, 'run-1', {KEYS!r}, parquet_parts={PARTS!r})")
    subprocess.run([sys.executable, "-c", script, str(warehouse), str(serving)], check=True,
                   env={**os.environ, "TZ": "Asia/Shanghai"})
    files = {path.name: path for path in (serving.parent / "parquet" / "current" / "facts").iterdir()}
    assert _part_rows(files["2026-10.parquet"]) == [(3, 30), (4, 40)]
    assert _part_rows(files["2026-11.parquet"]) == [(5, 50), (6, 60)]
