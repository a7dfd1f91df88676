"""Great Expectations suites from the versioned JSON files in ``expectations/``."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.settings import PROJECT_ROOT

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"


@dataclass(frozen=True)
class SuiteFile:
    path: Path
    name: str
    asset_key: list[str]
    warehouse_table: str
    definition: dict[str, Any]


def expectation_columns(expectations: list[dict]) -> list[str]:
    """The columns ``expectations`` read, in first-mention order: all a validation needs to fetch
    (a 5M-row message table is validated on three columns, not on its texts)."""
    named: list[str] = []
    for expectation in expectations:
        kwargs = expectation.get("kwargs", {})
        for key in ("column", "column_A", "column_B"):
            if key in kwargs:
                named.append(kwargs[key])
        named += kwargs.get("column_list", [])
    return list(dict.fromkeys(named))


class InvalidSuiteError(Exception):
    pass


def load_suite_files(directory: Path = EXPECTATIONS_DIR) -> list[SuiteFile]:
    suites = []
    for path in sorted(directory.glob("*.json")):
        try:
            definition = json.loads(path.read_text(encoding="utf-8"))
            meta = definition["meta"]
            suites.append(
                SuiteFile(path, definition["name"], list(meta["dagster_asset_key"]), meta["warehouse_table"], definition)
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InvalidSuiteError(f"{path}: not a suite with name, meta.dagster_asset_key and meta.warehouse_table ({exc})") from exc
    return suites


def build_suite(suite_file: SuiteFile, extra: list[dict] = (), expectations: list[dict] | None = None):
    """The GX ExpectationSuite (with ``extra`` expectations of this run, or of ``expectations``
    alone when given); raises when GX would silently drop an expectation it cannot read."""
    import great_expectations as gx

    definition = suite_file.definition
    if expectations is None:
        expectations = [*definition["expectations"], *extra]
    # copies: GX writes into what it is given (its version into meta), and the definition also
    # fingerprints the suite for the changed-rows marks
    suite = gx.ExpectationSuite(name=suite_file.name, expectations=copy.deepcopy(expectations),
                                meta=copy.deepcopy(definition["meta"]))
    if len(suite.expectations) != len(expectations):
        raise InvalidSuiteError(
            f"{suite_file.path}: GX accepted {len(suite.expectations)} of "
            f"{len(expectations)} expectations; check their type and kwargs"
        )
    return suite
