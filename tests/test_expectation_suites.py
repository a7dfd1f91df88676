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
