"""The data tests of a stamped model read only the rows written since they last passed
(dbt_project/macros/tested_rows.sql): they still fail on bad rows written since, including a key
that duplicates an older row's; a test's mark moves only when it passed; a mark left under other
tests or code, a staging model rebuilt from every raw row since, or the var
test_changed_rows_only=false, makes them read everything. Real `dbt test` runs on a copy of the
demo's warehouse, whose build left the marks."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from conftest import dbt
from scoped_runs import run_results

KEYS = "intermediate.int_identity__record_keys"
TOUCHES = "intermediate.int_touchpoints"
MESSAGES = "staging.stg_wecom__messages"
SPELLS = "intermediate.int_lead_spells"


def _marks(home, model: str) -> dict[str, tuple]:
    """The model's tested marks: test (its relation name, which dbt shortens) → (tested_through, fingerprint)."""
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        return {test: (through, fingerprint) for test, through, fingerprint
                in conn.execute(f"SELECT test, tested_through, fingerprint FROM {model}__tested").fetchall()}


def _mark(home, model: str, test_prefix: str) -> tuple:
    (mark,) = [mark for test, mark in _marks(home, model).items() if test.startswith(test_prefix)]
    return mark


def _newest_stamp(home, model: str, stamp: str = "written_at"):
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        return conn.execute(f"SELECT max({stamp}) FROM {model}").fetchone()[0]


def _execute(home, sql: str) -> None:
    with duckdb.connect(str(home.warehouse)) as conn:
        conn.execute(sql)


def _test(home, target: Path, select: str, *extra: str) -> dict[str, tuple[str, int]]:
    """`dbt test` of ``select``: each test's name → (status, failing rows)."""
    dbt("test", "--select", select, *extra, target=target, home=home)
    return {name: (result["status"], result["failures"]) for name, result in run_results(target).items()}


def _compiled(target: Path, name: str) -> str:
    return run_results(target)[name]["compiled_code"]


UNIQUE_KEYS = "unique_combination_of_columns_int_identity__record_keys_record_id__key_type__key_value"
# each model's required columns are one not_null_columns test (its relation name is shortened)
NOT_NULL = "not_null_columns"
TOUCHES_NOT_NULL = "not_null_columns_int_touchpoints_occurred_at__is_genuine_outbound"


def test_a_key_written_again_since_the_mark_fails_unique_and_holds_its_mark(copied_home, tmp_path):
    mark = _mark(copied_home, KEYS, "unique_combination_of_columns")
    not_null_mark = _mark(copied_home, KEYS, NOT_NULL)
    # a run that wrote one held key a second time (stamped after the mark): the older copy is
    # outside the scope, yet the duplicate is found through the new one
    _execute(copied_home, f"INSERT INTO {KEYS} SELECT * REPLACE (now() AS written_at) FROM {KEYS} "
                          f"WHERE written_at <= '{mark[0].isoformat()}'::TIMESTAMPTZ LIMIT 1")

    results = _test(copied_home, tmp_path / "t1", "int_identity__record_keys")
    assert results[UNIQUE_KEYS] == ("fail", 1)
    assert "written_at >" in _compiled(tmp_path / "t1", UNIQUE_KEYS)  # read within the scope
    assert _mark(copied_home, KEYS, "unique_combination_of_columns") == mark  # a failed test keeps its mark
    passed = _mark(copied_home, KEYS, NOT_NULL)
    assert passed[0] > not_null_mark[0]  # a test of the same model that passed moves on

    _execute(copied_home, f"DELETE FROM {KEYS} WHERE written_at > '{mark[0].isoformat()}'::TIMESTAMPTZ")
    results = _test(copied_home, tmp_path / "t2", "int_identity__record_keys")
    assert results[UNIQUE_KEYS] == ("pass", 0)
    after = _mark(copied_home, KEYS, "unique_combination_of_columns")
    assert after == (_newest_stamp(copied_home, KEYS), mark[1])  # passed again: the newest stamp held


def test_row_level_tests_read_the_rows_written_since_and_everything_when_told(copied_home, tmp_path):
    mark = _mark(copied_home, TOUCHES, NOT_NULL)
    # a touch without its instant, stamped before the mark: already tested, so not read again …
    _execute(copied_home, f"INSERT INTO {TOUCHES} SELECT * REPLACE ('test:old' AS touchpoint_id, NULL AS occurred_at, "
                          f"'{mark[0].isoformat()}'::TIMESTAMPTZ - INTERVAL 1 HOUR AS written_at) FROM {TOUCHES} LIMIT 1")
    assert _test(copied_home, tmp_path / "t1", "int_touchpoints")[TOUCHES_NOT_NULL] == ("pass", 0)
    # … unless every row is asked for
    everything = _test(copied_home, tmp_path / "t2", "int_touchpoints",
                       "--vars", json.dumps({"test_changed_rows_only": False}))
    assert everything[TOUCHES_NOT_NULL] == ("fail", 1)
    assert "written_at >" not in _compiled(tmp_path / "t2", TOUCHES_NOT_NULL)

    # the same touch written since the mark fails the scoped test
    _execute(copied_home, f"UPDATE {TOUCHES} SET written_at = now() WHERE touchpoint_id = 'test:old'")
    assert _test(copied_home, tmp_path / "t3", "int_touchpoints")[TOUCHES_NOT_NULL] == ("fail", 1)


def test_a_models_required_columns_fail_one_row_per_column_holding_nulls(copied_home, tmp_path):
    # two touches written since the mark: one without its instant, one without instant or outbound flag
    _execute(copied_home, f"INSERT INTO {TOUCHES} SELECT * EXCLUDE (n) REPLACE ('test:' || n AS touchpoint_id, NULL AS occurred_at, "
                          f"CASE WHEN n = 2 THEN NULL ELSE is_genuine_outbound END AS is_genuine_outbound, "
                          f"now() AS written_at) FROM (SELECT * FROM {TOUCHES} LIMIT 1) CROSS JOIN range(1, 3) AS r(n)")
    assert _test(copied_home, tmp_path / "t1", "int_touchpoints")[TOUCHES_NOT_NULL] == ("fail", 2)
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        failing = conn.execute(_compiled(tmp_path / "t1", TOUCHES_NOT_NULL)).fetchall()
    assert sorted(failing) == [("is_genuine_outbound", 1), ("occurred_at", 2)]


def test_the_published_view_is_scoped_through_the_stamps_it_is_published_from(copied_home, tmp_path):
    unique = "unique_fct_touchpoints_touchpoint_id"
    # int_touchpoints writes one touch twice: fct_touchpoints, a view of it, shows the duplicate
    _execute(copied_home, f"INSERT INTO {TOUCHES} SELECT * REPLACE (now() AS written_at) FROM {TOUCHES} LIMIT 1")
    results = _test(copied_home, tmp_path / "t1", "fct_touchpoints")
    assert results[unique] == ("fail", 1)
    assert "int_touchpoints" in _compiled(tmp_path / "t1", unique)


def test_a_mark_left_under_other_code_is_not_used(copied_home, tmp_path):
    before = _marks(copied_home, KEYS)
    _execute(copied_home, f"UPDATE {KEYS}__tested SET fingerprint = 'other code'")
    # an older row duplicated before the mark: found, for every row is read again
    _execute(copied_home, f"INSERT INTO {KEYS} SELECT * FROM {KEYS} LIMIT 1")

    results = _test(copied_home, tmp_path / "t1", "int_identity__record_keys")
    assert results[UNIQUE_KEYS] == ("fail", 1)
    assert "written_at >" not in _compiled(tmp_path / "t1", UNIQUE_KEYS)
    # the marks of the tests that passed are now under this code; the failed test has none
    marks = _marks(copied_home, KEYS)
    assert marks and all(marks[test][1] == before[test][1] for test in marks)
    assert not any(test.startswith("unique_combination_of_columns") for test in marks)


def test_a_staging_model_is_scoped_by_load_time_until_it_is_rebuilt(copied_home, tmp_path):
    unique = "unique_stg_wecom__messages_message_id"
    mark = _mark(copied_home, MESSAGES, unique)
    assert mark[0] == _newest_stamp(copied_home, MESSAGES, "loaded_at")  # the newest load time it held
    # a message held twice, the copy with a load time before the mark: a run stages a row only
    # for a version loaded since its last build, so the scoped test does not read it again …
    _execute(copied_home, f"INSERT INTO {MESSAGES} SELECT * FROM {MESSAGES} "
                          f"WHERE loaded_at <= '{mark[0].isoformat()}'::TIMESTAMPTZ LIMIT 1")
    assert _test(copied_home, tmp_path / "t1", "stg_wecom__messages")[unique] == ("pass", 0)
    assert "loaded_at >" in _compiled(tmp_path / "t1", unique)
    # … but a rebuild from every raw row since the last pass writes rows back with their old load
    # times: the test reads everything again
    _execute(copied_home, f"UPDATE {MESSAGES}__rebuilt SET rebuilt_at = now()")
    assert _test(copied_home, tmp_path / "t2", "stg_wecom__messages")[unique] == ("fail", 1)
    assert "loaded_at >" not in _compiled(tmp_path / "t2", unique)


def test_a_spell_overlapping_an_earlier_one_of_its_lead_fails(copied_home, tmp_path):
    no_overlap = "intervals_do_not_overlap_int_lead_spells_closed_at__lead_id__opened_at"
    assert _test(copied_home, tmp_path / "t1", "int_lead_spells")[no_overlap] == ("pass", 0)
    # a second spell of a closed lead, opened an hour before the first closed: the lead would be
    # counted twice at a month's start in between (mart_lead_churn_monthly counts without distinct)
    _execute(copied_home, f"INSERT INTO {SPELLS} SELECT * REPLACE (spell_number + 100 AS spell_number, "
                          f"closed_at - INTERVAL 1 HOUR AS opened_at, NULL AS closed_at, now() AS written_at) "
                          f"FROM (SELECT * FROM {SPELLS} WHERE closed_at IS NOT NULL ORDER BY lead_id LIMIT 1)")
    results = _test(copied_home, tmp_path / "t2", "int_lead_spells")
    assert results[no_overlap] == ("fail", 1)
    assert "written_at >" in _compiled(tmp_path / "t2", no_overlap)  # the leads written since the mark
    # a spell that begins when the earlier one ends (an instant in one of them only) is no overlap
    _execute(copied_home, f"UPDATE {SPELLS} SET opened_at = opened_at + INTERVAL 1 HOUR WHERE spell_number > 100")
    assert _test(copied_home, tmp_path / "t3", "int_lead_spells")[no_overlap] == ("pass", 0)
