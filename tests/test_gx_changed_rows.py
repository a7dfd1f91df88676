"""A staging suite reads the rows loaded since it last passed (orchestration/defs/quality/
changed_rows.py): real Dagster runs of its GX check on a copy of the demo's home, whose run
history holds the demo's passing validation and its mark."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from orchestration.defs.quality.changed_rows import split

MESSAGES = "staging.stg_wecom__messages"
CHECK = dg.AssetCheckKey(dg.AssetKey(["staging", "stg_wecom__messages"]), "gx_stg_wecom__messages")


def _audit() -> dg.AssetCheckEvaluation:
    """The suite's check alone, as a run of the copied home's Dagster instance."""
    from orchestration.definitions import defs

    audit_only = dg.define_asset_job("audit_only", selection=dg.AssetSelection.checks(CHECK))
    result = (dg.Definitions.merge(defs, dg.Definitions(jobs=[audit_only])).resolve_job_def("audit_only")
              .execute_in_process(instance=dg.DagsterInstance.get(), raise_on_error=False))
    (evaluation,) = [e.event_specific_data for e in result.all_events
                     if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
    return evaluation


def _value(evaluation: dg.AssetCheckEvaluation, key: str):
    return evaluation.metadata[key].value


def _execute(home, sql: str) -> None:
    with duckdb.connect(str(home.warehouse)) as conn:
        conn.execute(sql)


def _failed(evaluation: dg.AssetCheckEvaluation) -> set[str]:
    return {failure["expectation"] for failure in _value(evaluation, "failed_expectations")}


def test_a_staging_suite_reads_the_rows_loaded_since_it_last_passed(copied_home, monkeypatch):
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        (rows, newest) = conn.execute(f"SELECT count(*), max(loaded_at) FROM {MESSAGES}").fetchone()

    # the demo's run left its mark for the warehouse where it was: this copy is read whole once …
    first = _audit()
    assert first.passed and _value(first, "validated_since") is None and _value(first, "rows_read") == rows
    # … then, with nothing loaded since, no row is read and the table's count is still bounded
    second = _audit()
    assert second.passed
    assert _value(second, "validated_since") == newest.isoformat()
    assert _value(second, "rows_read") == 0 and _value(second, "rows_validated") == rows
    assert _value(second, "validated_through") == newest.isoformat()

    # a message loaded since, under an id already held and with an unknown action: read with
    # the older row sharing its id, and both defects found
    _execute(copied_home, f"INSERT INTO {MESSAGES} SELECT * REPLACE ('bogus' AS action, now() AS loaded_at) "
                          f"FROM {MESSAGES} WHERE action = 'send' LIMIT 1")
    loaded_since = _audit()
    assert not loaded_since.passed
    assert _value(loaded_since, "rows_read") == 2
    assert _failed(loaded_since) == {"expect_column_values_to_be_unique", "expect_column_values_to_be_in_set"}

    # the same row with a load time before the mark is not read again (a run stages no such row) …
    _execute(copied_home, f"UPDATE {MESSAGES} SET loaded_at = '{newest.isoformat()}'::TIMESTAMPTZ "
                          "WHERE action = 'bogus'")
    assert _audit().passed  # the failed run left no mark: still since the first one's
    # … unless told to read everything …
    monkeypatch.setenv("FUNNEL_GX_CHANGED_ROWS_ONLY", "false")
    everything = _audit()
    assert not everything.passed and _value(everything, "validated_since") is None
    assert _value(everything, "rows_read") == rows + 1
    monkeypatch.delenv("FUNNEL_GX_CHANGED_ROWS_ONLY")
    # … or when the table was rebuilt from every raw row since the last pass
    _execute(copied_home, f"UPDATE {MESSAGES}__rebuilt SET rebuilt_at = now()")
    rebuilt = _audit()
    assert not rebuilt.passed and _value(rebuilt, "validated_since") is None
    assert _failed(rebuilt) == {"expect_column_values_to_be_unique", "expect_column_values_to_be_in_set"}


@pytest.mark.parametrize(("expectation", "on_changed_rows"), [
    ({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}}, True),
    ({"type": "expect_column_values_to_be_unique", "kwargs": {"column": "a"}}, True),
    ({"type": "expect_column_values_to_be_between", "kwargs": {"column": "a", "min_value": 0}}, True),
    # a share of the whole table, or a property of it, needs the whole table
    ({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a", "mostly": 0.95}}, False),
    ({"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}}, False),
    ({"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["a", "b"]}}, False),
    ({"type": "expect_column_mean_to_be_between", "kwargs": {"column": "a", "min_value": 0}}, False),
])
def test_only_row_wise_and_unique_expectations_read_the_changed_rows(expectation, on_changed_rows):
    changed, whole = split([expectation])
    assert (changed, whole) == (([expectation], []) if on_changed_rows else ([], [expectation]))
