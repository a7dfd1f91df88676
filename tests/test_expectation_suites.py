"""The versioned GX suites load whole, and catch what they promise to catch."""

import json

import pandas as pd
import pytest

from orchestration.defs.quality.checks import validate_dataframe
from orchestration.defs.quality.suites import InvalidSuiteError, build_suite, load_suite_files


def _suite(name):
    return next(s for s in load_suite_files() if s.name == name)


def test_every_suite_file_loads_every_expectation():
    suites = load_suite_files()
    assert {s.name for s in suites} >= {"mart_stage_conversion", "dim_customer"}
    for suite_file in suites:
        assert len(build_suite(suite_file).expectations) == len(suite_file.definition["expectations"])


def test_a_suite_with_an_unknown_expectation_is_rejected_not_shortened(tmp_path):
    definition = json.loads(_suite("dim_customer").path.read_text())
    definition["expectations"].append({"type": "expect_the_impossible", "kwargs": {}})
    (tmp_path / "broken.json").write_text(json.dumps(definition))
    (broken,) = load_suite_files(tmp_path)
    with pytest.raises(InvalidSuiteError, match="broken.json"):
        build_suite(broken)


def test_k09_suite_catches_a_numerator_above_its_denominator():
    frame = pd.DataFrame(
        {
            "cohort_month": pd.to_datetime(["2025-07-01", "2025-07-01"]),
            "channel": ["Website", "Website"],
            "step": [1, 2],
            "from_stage": ["lead", "intent"],
            "to_stage": ["intent", "proposal"],
            "reached_to_count": [3, 4],
            "reached_from_count": [5, 3],
            "stage_conversion_rate": [0.6, None],
        }
    )
    result = validate_dataframe(_suite("mart_stage_conversion"), frame)
    failed = {r.expectation_config.type for r in result.results if not r.success}
    assert failed == {"expect_column_pair_values_a_to_be_greater_than_b"}


def test_a_suite_validated_again_in_the_same_process_holds_only_this_runs_expectations():
    """A worker validates many runs' suites: the row-count bound computed for one run applies to
    that validation only, and each validation reads its own frame."""
    suite_file = _suite("mart_stage_conversion")
    frame = pd.DataFrame({"cohort_month": pd.to_datetime(["2025-07-01"]), "channel": ["Website"], "step": [1],
                          "from_stage": ["lead"], "to_stage": ["intent"], "reached_to_count": [3],
                          "reached_from_count": [5], "stage_conversion_rate": [0.6]})
    too_few = {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 5, "max_value": 9}}
    expectations = len(suite_file.definition["expectations"])

    bounded = validate_dataframe(suite_file, frame, [too_few])
    assert len(bounded.results) == expectations + 1 and not bounded.success
    unbounded = validate_dataframe(suite_file, frame, [None])
    assert len(unbounded.results) == expectations and unbounded.success
    wrong = validate_dataframe(suite_file, frame.assign(reached_to_count=[6]))
    assert {r.expectation_config.type for r in wrong.results if not r.success} == {
        "expect_column_pair_values_a_to_be_greater_than_b"}


def test_a_validation_does_not_hash_every_row_of_its_batch():
    """GX fingerprints a DataFrame batch by hashing all its rows, twice per validation, unless
    told otherwise through its module threshold; the validation must still see every row."""
    suite_file = _suite("dim_customer")
    frame = pd.DataFrame({"customer_key": ["C1", "C2", "C2"], "member_records": [1, 2, 0],
                          "first_seen_at": pd.to_datetime(["2025-07-01"] * 3, utc=True),
                          "mobile": ["+8613800000000", None, "+8613800000001"]})
    result = validate_dataframe(suite_file, frame)
    assert "pandas_data_fingerprint" not in result.meta["batch_markers"]
    assert {r.expectation_config.type for r in result.results if not r.success} == {
        "expect_column_values_to_be_unique", "expect_column_values_to_be_between"}


def test_every_published_mart_and_the_staging_it_reads_have_a_suite():
    from orchestration.defs.publish.assets import PUBLISHED

    suites = {s.warehouse_table for s in load_suite_files()}
    kpi_marts = {f"{schema}.{name}" for schema, name in PUBLISHED if name.startswith("mart_")}
    assert kpi_marts and kpi_marts <= suites
    assert {"staging.stg_crm__leads", "staging.stg_crm__opportunity_history", "staging.stg_finance__invoices",
            "staging.stg_finance__bank_receipts", "staging.stg_wecom__messages", "staging.stg_email__messages"} <= suites


def _table(demo, table: str) -> pd.DataFrame:
    import duckdb

    with duckdb.connect(str(demo.home.warehouse), read_only=True) as conn:
        return conn.execute(f"SELECT * FROM {table}").df()


def _failed(suite: str, frame: pd.DataFrame) -> set[tuple[str, str]]:
    result = validate_dataframe(_suite(suite), frame)
    return {(r.expectation_config.type, r.expectation_config.kwargs.get("column", r.expectation_config.kwargs.get("column_A")))
            for r in result.results if not r.success}


def test_kpi_suites_pass_on_the_sample_and_catch_a_rate_above_one(demo):
    frame = _table(demo, "marts.mart_intake_daily")
    assert _failed("mart_intake_daily", frame) == set()
    broken = frame.copy()
    row = broken.index[broken.inbound_contacts > 0][0]
    broken.loc[row, "usable_inbound_contacts"] = broken.loc[row, "inbound_contacts"] + 1
    broken.loc[row, "lead_in_rate"] = broken.loc[row, "usable_inbound_contacts"] / broken.loc[row, "inbound_contacts"]
    assert _failed("mart_intake_daily", broken) == {
        ("expect_column_values_to_be_between", "lead_in_rate"),
        ("expect_column_pair_values_a_to_be_greater_than_b", "inbound_contacts")}


def test_staging_suites_pass_on_the_sample_and_catch_an_unknown_stage_and_a_negative_amount(demo):
    frame = _table(demo, "staging.stg_crm__opportunity_history")
    assert _failed("stg_crm__opportunity_history", frame) == set()
    broken = frame.copy()
    broken.loc[broken.index[0], "stage_name"] = "Verbal Commit"
    broken.loc[broken.index[1], "amount"] = -broken.loc[broken.index[1], "amount"]
    assert _failed("stg_crm__opportunity_history", broken) == {
        ("expect_column_values_to_be_in_set", "stage_name"), ("expect_column_values_to_be_between", "amount")}


def test_suites_validated_in_worker_processes_find_what_validating_inline_finds(demo, monkeypatch, tmp_path):
    """The checks step validates large tables in worker processes: same outcome per suite as in
    the step itself, on a real DuckDB file holding a good table, a broken one and none at all
    (a table that cannot be read fails its own suite only)."""
    import dataclasses

    import duckdb

    from orchestration.defs.quality import checks
    from orchestration.lib import workers

    good = _table(demo, "marts.mart_intake_daily")
    broken = good.copy()
    row = broken.index[broken.inbound_contacts > 0][0]
    broken.loc[row, "usable_inbound_contacts"] = broken.loc[row, "inbound_contacts"] + 1
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as conn:
        conn.execute("CREATE SCHEMA marts")
        conn.execute("CREATE TABLE marts.good AS SELECT * FROM good")
        conn.execute("CREATE TABLE marts.broken AS SELECT * FROM broken")
    suite = _suite("mart_intake_daily")
    jobs = [(dataclasses.replace(suite, warehouse_table=f"marts.{table}"), [], None) for table in ("good", "broken", "gone")]

    inline = list(checks.validate_suites(str(database), jobs, workers=1, total_rows=10**9))
    monkeypatch.setattr(checks, "PARALLEL_VALIDATION_MIN_ROWS", 0)
    parallel = list(checks.validate_suites(str(database), jobs, workers=2, total_rows=len(good)))

    assert parallel == inline
    assert 2 in workers._POOLS  # the parallel run did use worker processes
    (_, ok), (_, bad), (_, gone) = inline
    assert ok.success and ok.rows == len(good) and ok.failures == ()
    assert not bad.success and bad.rows == len(good)
    assert {f["kwargs"].get("column_A") for f in bad.failures} == {"inbound_contacts"}
    assert not gone.success and gone.rows is None and "marts.gone" in gone.error
