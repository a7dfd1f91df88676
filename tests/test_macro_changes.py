"""A change to a macro of the project counts as a change of the code of every model and data
test that calls it (macros/incremental.sql: code_fingerprint, project_macros_code;
macros/tested_rows.sql: tested_fingerprint). A model's text does not show the macros it calls:
a build mark or a tested mark fingerprinted by that text alone let a nightly keep rows computed,
or checked, by the old macro.

Each test runs dbt twice on a copy of the demo's warehouse, which was built and tested by this
code: with the project as it is (the marks hold, so a row tampered with where nothing changed is
not looked at), then with a copy of the project in which one macro gained only a comment (the
marks no longer hold, so every row is computed, or checked, again)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from conftest import dbt
from scoped_runs import run_results
from orchestration.settings import DBT_PROJECT_DIR


def _project_with_edited_macro(root: Path, file: str, macro: str) -> Path:
    """A copy of the dbt project in which ``macro`` (of macros/``file``) opens with a comment."""
    project = root / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    path = project / "macros" / file
    text = path.read_text(encoding="utf-8")
    opening = f"{{% macro {macro}("
    assert text.count(opening) == 1
    head, tail = text.split(opening)
    signature_end = tail.index("%}") + 2
    path.write_text(head + opening + tail[:signature_end] + "\n    {#- edited -#}" + tail[signature_end:], encoding="utf-8")
    return project


def _statuses(target: Path) -> dict[str, str]:
    """The status of each data test of the dbt invocation whose artifacts are in ``target``."""
    return {name: result["status"] for name, result in run_results(target).items()
            if result["unique_id"].startswith("test.")}


def _customer_of(home, touch: str) -> str:
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        return conn.execute("SELECT customer_key FROM intermediate.int_touchpoints WHERE touchpoint_id = ?",
                            [touch]).fetchone()[0]


def test_a_changed_macro_of_a_model_computes_its_rows_again(copied_home, tmp_path):
    with duckdb.connect(str(copied_home.warehouse)) as conn:
        touch, customer = conn.execute("SELECT touchpoint_id, customer_key FROM intermediate.int_touchpoints "
                                       "WHERE customer_key IS NOT NULL ORDER BY 1 LIMIT 1").fetchone()
        conn.execute("UPDATE intermediate.int_touchpoints SET customer_key = 'tampered' WHERE touchpoint_id = ?",
                      [touch])

    done = dbt("run", "--select", "int_touchpoints", target=tmp_path / "as_is", home=copied_home)
    assert done.returncode == 0, done.stdout[-3000:]
    assert _customer_of(copied_home, touch) == "tampered"  # the mark holds: only the night's changes

    # int_touchpoints calls touchpoints_without_event (a post-hook) among the macros of its scope
    edited = _project_with_edited_macro(tmp_path, "touches.sql", "touchpoints_without_event")
    done = dbt("run", "--select", "int_touchpoints", target=tmp_path / "edited", home=copied_home, project=edited)
    assert done.returncode == 0, done.stdout[-3000:]
    assert _customer_of(copied_home, touch) == customer  # every touch placed again


def test_a_changed_test_macro_checks_every_row_again(copied_home, tmp_path):
    """A row with no record_id, stamped long before the test last passed, is not read by the
    scoped not_null_columns test; once a macro it calls (tested_rows, the scope) changes, it is."""
    test = "not_null_columns_int_identity__record_keys_record_id__written_at"
    with duckdb.connect(str(copied_home.warehouse)) as conn:
        conn.execute("INSERT INTO intermediate.int_identity__record_keys BY NAME SELECT NULL AS record_id, "
                     "'mobile' AS key_type, '+8613900000000' AS key_value, TIMESTAMPTZ '2000-01-01 00:00:00+00' AS written_at")

    done = dbt("test", "--select", test, target=tmp_path / "as_is", home=copied_home)
    assert _statuses(tmp_path / "as_is") == {test: "pass"}, done.stdout[-3000:]

    edited = _project_with_edited_macro(tmp_path, "tested_rows.sql", "tested_rows")
    done = dbt("test", "--select", test, target=tmp_path / "edited", home=copied_home, project=edited)
    assert _statuses(tmp_path / "edited") == {test: "fail"}, done.stdout[-3000:]
