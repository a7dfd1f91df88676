"""While the pipeline publishes again and again, BI readers in other processes query the serving
store in a loop with read-only connections (and read its Parquet copy): no reader may ever get a
lock error, and every read must see one version across all tables (never a table of the new
version beside one of the old)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb

from orchestration.lib.serving_store import publish_tables

READERS = 3
PUBLICATIONS = 25

READER = textwrap.dedent("""
    import json, sys, time
    import duckdb

    path, stop_file = sys.argv[1], sys.argv[2]
    parquet_dir = __import__("os").path.join(__import__("os").path.dirname(path), "parquet")
    reads = lock_errors = torn = 0
    versions = set()
    errors = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            conn = duckdb.connect(path, read_only=True)
        except duckdb.Error as exc:
            if "lock" in str(exc).lower():
                lock_errors += 1
            else:
                errors.append(str(exc))
            continue
        try:
            conn.execute("BEGIN TRANSACTION")
            a = conn.execute("SELECT min(generation), max(generation), count(*) FROM kpi_a").fetchone()
            b = conn.execute("SELECT min(generation), max(generation), count(*) FROM kpi_b").fetchone()
            logged = conn.execute(
                "SELECT run_id FROM publish_log ORDER BY published_at DESC LIMIT 1").fetchone()[0]
            conn.execute("COMMIT")
        finally:
            conn.close()
        # Parquet readers resolve `current` once, then read that version's files.
        version_dir = __import__("os").path.realpath(parquet_dir + "/current")
        pa_ = duckdb.execute(f"SELECT min(generation), max(generation), count(*) FROM '{version_dir}/kpi_a.parquet'").fetchone()
        pb_ = duckdb.execute(f"SELECT min(generation), max(generation), count(*) FROM '{version_dir}/kpi_b.parquet'").fetchone()
        if not (pa_[0] == pa_[1] == pb_[0] == pb_[1] and pa_[2] == pa_[0] + 1 and pb_[2] == 2 * (pa_[0] + 1)):
            torn += 1
        reads += 1
        generation = a[0]
        versions.add(generation)
        # One version everywhere: both tables hold that generation only, with its row counts, and
        # the publish log's latest entry is the run that published it.
        if not (a[0] == a[1] == b[0] == b[1] and a[2] == generation + 1 and b[2] == 2 * (generation + 1)
                and logged == f"run-{generation}"):
            torn += 1
        if __import__("os").path.exists(stop_file) and reads > 50:
            break
    print(json.dumps({"reads": reads, "lock_errors": lock_errors, "torn": torn, "errors": errors[:3],
                      "versions": len(versions)}))
""")


def _write_generation(warehouse: Path, generation: int) -> None:
    """The warehouse's marts as a run of this generation leaves them: A has g+1 rows, B 2(g+1)."""
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS marts")
        conn.execute(f"CREATE OR REPLACE TABLE marts.kpi_a AS SELECT {generation} AS generation, i FROM range({generation + 1}) t(i)")
        conn.execute(f"CREATE OR REPLACE TABLE marts.kpi_b AS SELECT {generation} AS generation, i FROM range({2 * (generation + 1)}) t(i)")


def test_readers_never_see_a_lock_error_or_a_torn_version_while_publishing(tmp_path):
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving" / "funnel.duckdb"
    tables = [("marts", "kpi_a"), ("marts", "kpi_b")]
    _write_generation(warehouse, 0)
    publish_tables(warehouse, serving, tables, "run-0")
    stop_file = tmp_path / "stop"
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(serving), str(stop_file)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(READERS)]
    try:
        for generation in range(1, PUBLICATIONS + 1):
            _write_generation(warehouse, generation)
            published = publish_tables(warehouse, serving, tables, f"run-{generation}")
            assert published.row_counts == {"kpi_a": generation + 1, "kpi_b": 2 * (generation + 1)}
            time.sleep(0.02)
    finally:
        stop_file.touch()
        outputs = [reader.communicate(timeout=180) for reader in readers]

    assert all(out.strip() for out, _ in outputs), [err[-1500:] for _, err in outputs]
    results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    for result, (_, err) in zip(results, outputs):
        assert result["lock_errors"] == 0, result
        assert result["torn"] == 0, result
        assert result["errors"] == [], (result, err[-2000:])
        assert result["reads"] > 50
    # The readers did overlap the publications: together they saw several versions.
    assert max(result["versions"] for result in results) > 1
    with duckdb.connect(str(serving), read_only=True) as conn:
        assert conn.execute("SELECT count(DISTINCT run_id) FROM publish_log").fetchone()[0] == PUBLICATIONS + 1
    # Nothing is left behind by the swaps.
    assert sorted(p.name for p in serving.parent.iterdir()) == ["funnel.duckdb", "parquet"]
    # The same last version as Parquet files, with the two before it kept for readers still on them.
    parquet = serving.parent / "parquet"
    current = (parquet / "current").resolve()
    with duckdb.connect() as conn:
        assert conn.execute(f"SELECT DISTINCT generation FROM '{current}/kpi_a.parquet'").fetchall() == [(PUBLICATIONS,)]
        assert conn.execute(f"SELECT count(*) FROM '{current}/kpi_b.parquet'").fetchone()[0] == 2 * (PUBLICATIONS + 1)
        assert conn.execute(f"SELECT DISTINCT run_id FROM '{current}/publish_log.parquet'"
                            f" WHERE version = '{current.name}'").fetchall() == [(f"run-{PUBLICATIONS}",)]
    assert sorted(p.name for p in parquet.iterdir() if not p.is_symlink())[-1] == current.name
    assert len([p for p in parquet.iterdir() if not p.is_symlink()]) == 3
