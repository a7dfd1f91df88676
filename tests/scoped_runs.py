"""Helpers of the tests of models computed for a scope of their keys (changed_rows_scope_query): two
copies of a home, one built incrementally and one from scratch, compared table by table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd

from conftest import Home, dbt, write_instance_config


def run_results(target: Path) -> dict[str, dict]:
    """The results of the dbt invocation whose artifacts are in ``target``, by node name."""
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    return {result["unique_id"].split(".")[2]: result for result in results}


def copy_home(home: Home, root: Path) -> Home:
    other = Home(root)
    shutil.copytree(home.root, other.root)
    write_instance_config(other.dagster_home)
    return other


def table(home: Home, relation: str) -> pd.DataFrame:
    """The rows of ``relation`` (schema.table) without the written_at stamp, in one order."""
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        frame = conn.execute(f"SELECT * FROM {relation}").df().drop(columns="written_at", errors="ignore")
    return frame.sort_values(list(frame.columns), ignore_index=True)


def run_models(home: Home, target: Path, models: dict[str, str], *extra: str) -> dict[str, str]:
    """dbt run of ``models`` (name → folder under models/); the compiled SQL of each."""
    done = dbt("run", "--select", *models, *extra, target=target, home=home)
    assert done.returncode == 0, done.stdout[-4000:]
    return {model: target.joinpath("compiled", "sales_funnel", "models", folder, f"{model}.sql").read_text(encoding="utf-8")
            for model, folder in models.items()}


def assert_equal_but_tampered(incremental: pd.DataFrame, full: pd.DataFrame, name: str,
                              tampered: tuple[str, str, str] | None = None) -> None:
    """The incremental copy's table equals the rebuild's row for row, except the row tampered with
    before the incremental run, ``tampered`` = (key column, key, column): that row must still hold
    'tampered' (it was not computed) and equal the rebuild's otherwise."""
    if tampered is not None:
        key_column, key, column = tampered
        row = incremental[key_column] == key
        assert incremental.loc[row, column].tolist() == ["tampered"], name  # not in the scope: left
        incremental = incremental.copy()
        incremental.loc[row, column] = full.loc[full[key_column] == key, column].iloc[0]
        incremental = incremental.sort_values(list(incremental.columns), ignore_index=True)
    pd.testing.assert_frame_equal(incremental, full, check_exact=True, obj=name)


def reads_scope(model: str, sql: str) -> bool:
    """Whether ``model``'s compiled SQL computed only a scope of its keys: it reads the scope's
    temporary table (changed_rows_scope_relation)."""
    return f'"{model}__scope"' in sql


def scoped(compiled: dict[str, str]) -> set[str]:
    """The models whose run computed only a scope of their keys."""
    return {model for model, sql in compiled.items() if reads_scope(model, sql)}
