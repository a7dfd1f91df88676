"""Which rows of a staging table a GX suite reads: those loaded since it last passed.

The incremental staging models write a row only for a raw version loaded after every row they
hold, and the row keeps that version's load time (``loaded_at``); a rebuild from every raw row,
which may write rows back with older load times, is noted in ``<table>__rebuilt`` with the
start of the dbt run that made it (dbt_project/macros/incremental.sql). So a row whose load time
is at or before the newest one the table held when its suite last passed was there, as it is,
then. At a million customers the four staging suites read 6M rows every night, two thirds of the
check step, for the few thousand a night adds.

A suite opts in with ``meta.changed_rows.stamp_column`` (the load time). Then:
  * row-wise expectations (each row passes or fails on its own values) read the rows loaded
    since the last pass; a uniqueness expectation also reads the older rows sharing a value
    with one of them;
  * every other expectation (the row count, anything with ``mostly`` below 1, any type not
    listed here) reads the whole table.
It reads everything when the suite has not passed before in this Dagster instance, when the
suite's JSON or the warehouse changed since, when the table was rebuilt after that pass, or when
``FUNNEL_GX_CHANGED_ROWS_ONLY`` is false. Each passing check records the newest load time it
saw (``validated_through``), when it read it (``validated_at``) and what it ran under
(``scope_fingerprint``) in its metadata, where the next run finds them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from orchestration.lib.serving_store import quote_identifier

from .history import earlier_check_metadata
from .suites import SuiteFile, expectation_columns

# Each row passes or fails on its own values.
ROW_WISE = frozenset({
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_be_between",
    "expect_column_values_to_match_regex",
    "expect_column_pair_values_a_to_be_greater_than_b",
})
# A duplicate needs one row loaded since: the older rows sharing its value are read with it.
# (GX leaves NULLs out of this one; the compound form compares them, so it reads everything.)
UNIQUE = "expect_column_values_to_be_unique"

ENV_FLAG = "FUNNEL_GX_CHANGED_ROWS_ONLY"


@dataclass(frozen=True)
class Since:
    """The rows a scoped validation reads: stamped after ``through`` (ISO instant), or unstamped."""

    stamp_column: str
    through: str


@dataclass(frozen=True)
class Mark:
    """What a passing validation leaves for the next: the newest stamp it saw, when, and under what."""

    validated_through: str | None
    validated_at: str
    fingerprint: str

    def metadata(self) -> dict:
        return {"validated_through": self.validated_through, "validated_at": self.validated_at,
                "scope_fingerprint": self.fingerprint}


def enabled() -> bool:
    return os.environ.get(ENV_FLAG, "true").strip().lower() not in {"false", "0", "no", "off"}


def stamp_column(suite_file: SuiteFile) -> str | None:
    return (suite_file.definition["meta"].get("changed_rows") or {}).get("stamp_column")


def fingerprint(suite_file: SuiteFile, database: str) -> str:
    """The suite as written and the warehouse it validates: a mark made under others says nothing."""
    text = json.dumps(suite_file.definition, sort_keys=True, ensure_ascii=False) + "|" + os.path.abspath(database)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def reads_changed_rows(expectation: dict) -> bool:
    """Whether the expectation holds over a table when it holds over the rows changed since it
    last held (and, for uniqueness, the rows sharing their values)."""
    mostly = expectation.get("kwargs", {}).get("mostly", 1)
    return (expectation["type"] in ROW_WISE or expectation["type"] == UNIQUE) and mostly == 1


def split(expectations: Sequence[dict]) -> tuple[list[dict], list[dict]]:
    """(expectations read over the changed rows, expectations read over the whole table)."""
    changed = [e for e in expectations if reads_changed_rows(e)]
    whole = [e for e in expectations if not reads_changed_rows(e)]
    return changed, whole


def changed_rows_query(table: str, expectations: Sequence[dict], since: Since) -> str:
    """The columns ``expectations`` read, of the rows stamped after the mark (or unstamped) and of
    the rows sharing the value of a unique column with one of them."""
    stamp = quote_identifier(since.stamp_column)
    new = f"({stamp} > '{since.through}'::TIMESTAMPTZ OR {stamp} IS NULL)"
    shared = [f"{quote_identifier(c)} IN (SELECT {quote_identifier(c)} FROM {table} WHERE {new})"
              for c in dict.fromkeys(e["kwargs"]["column"] for e in expectations if e["type"] == UNIQUE)]
    return whole_table_query(table, expectations) + " WHERE " + " OR ".join([new, *shared])


def whole_table_query(table: str, expectations: Sequence[dict]) -> str:
    """The columns ``expectations`` read, of every row; a suite of row-count expectations alone
    still needs the rows."""
    columns = ", ".join(quote_identifier(c) for c in expectation_columns(expectations)) or "1 AS _row"
    return f"SELECT {columns} FROM {table}"


def last_mark(instance: dg.DagsterInstance, check_key: dg.AssetCheckKey, run_id: str) -> Mark | None:
    """The mark of the latest earlier run in which the check passed, if it left one."""
    for metadata in earlier_check_metadata(instance, check_key, run_id, {AssetCheckExecutionRecordStatus.SUCCEEDED}):
        if "validated_at" not in metadata:
            return None
        return Mark(*(metadata[k].value if k in metadata else None
                      for k in ("validated_through", "validated_at", "scope_fingerprint")))
    return None


def current_mark(conn, suite_file: SuiteFile, database: str, now: datetime) -> Mark | None:
    """What this validation will leave if it passes (read before validating, so that a row
    loaded meanwhile is after it); None for a suite that does not opt in."""
    stamp = stamp_column(suite_file)
    if stamp is None:
        return None
    (newest,) = conn.execute(f"SELECT max({quote_identifier(stamp)}) FROM {suite_file.warehouse_table}").fetchone()
    return Mark(newest.isoformat() if newest is not None else None, now.isoformat(),
                fingerprint(suite_file, database))


def scope(conn, suite_file: SuiteFile, previous: Mark | None, current: Mark | None) -> Since | None:
    """The rows to read: since the previous pass, or None for the whole table."""
    if not enabled() or current is None or previous is None or previous.fingerprint != current.fingerprint:
        return None
    if previous.validated_through is None:  # the table was empty: everything is new
        return None
    rebuilt = f"{suite_file.warehouse_table}__rebuilt"
    try:
        (rebuilt_at,) = conn.execute(f"SELECT max(rebuilt_at) FROM {rebuilt}").fetchone()
    except Exception:  # noqa: BLE001 — no note of the rebuilds: cannot tell, so read everything
        return None
    if rebuilt_at is None or rebuilt_at > datetime.fromisoformat(previous.validated_at):
        return None
    return Since(stamp_column(suite_file), previous.validated_through)
