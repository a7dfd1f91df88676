"""How the dbt build stores the warehouse's tables: DuckDB's own compression, unless
FUNNEL_DBT_DISABLED_COMPRESSION (dbt_project/profiles.yml) names methods to leave out.

The demo's identity records are strings DuckDB compresses with DICT_FSST by default; rebuilt with
``dict_fsst`` disabled they hold the same rows, none of them stored that way."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from conftest import Home, dbt

MODEL = "int_identity__records"
TABLE = f"intermediate.{MODEL}"


def _compressions(conn: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in conn.execute(f"SELECT DISTINCT compression FROM pragma_storage_info('{TABLE}')").fetchall()}


def _rows(conn: duckdb.DuckDBPyConnection) -> list[tuple]:
    return conn.execute(f"SELECT * EXCLUDE (written_at) FROM {TABLE} ORDER BY record_id").fetchall()


def test_the_build_keeps_duckdbs_compression_by_default(demo):
    with duckdb.connect(str(demo.home.warehouse), read_only=True) as conn:
        assert "DICT_FSST" in _compressions(conn)


def test_a_build_with_dict_fsst_disabled_stores_the_same_rows_without_it(
        copied_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        before = _rows(conn)
    monkeypatch.setenv("FUNNEL_DBT_DISABLED_COMPRESSION", "dict_fsst")
    done = dbt("run", "--select", MODEL, "--full-refresh", target=tmp_path / "target", home=copied_home)
    assert done.returncode == 0, done.stdout[-3000:]
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        after, compressions = _rows(conn), _compressions(conn)
    assert after == before and len(after) > 100
    assert compressions and "DICT_FSST" not in compressions, compressions
