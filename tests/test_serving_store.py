"""BI tools read the serving store while the pipeline holds the warehouse for writing."""

import subprocess
import sys
import textwrap

import duckdb


def test_serving_store_is_readable_while_the_warehouse_is_locked_by_a_writer(copied_home):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            conn = duckdb.connect({str(copied_home.warehouse)!r})
            conn.execute("CREATE TABLE IF NOT EXISTS ingest.writer_probe AS SELECT 1 AS x")
            print("locked", flush=True)
            time.sleep(30)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        # Another process cannot even read the warehouse now ...
        try:
            duckdb.connect(str(copied_home.warehouse), read_only=True).close()
            warehouse_readable = True
        except duckdb.IOException:
            warehouse_readable = False
        assert not warehouse_readable
        # ... but the published marts stay readable.
        with duckdb.connect(str(copied_home.serving), read_only=True) as conn:
            assert conn.execute("SELECT count(*) FROM mart_stage_conversion").fetchone()[0] > 0
    finally:
        holder.kill()
        holder.wait()
