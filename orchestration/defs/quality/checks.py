"""Each GX suite as a blocking asset check on its warehouse table."""

import importlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import dagster as dg
import duckdb
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from orchestration.defs.resources import WarehouseResource
from orchestration.lib.preparations import prepare_while_waiting
from orchestration.lib.workers import process_pool, workers_from_env

from . import changed_rows
from .changed_rows import Mark, Since
from .history import earlier_check_metadata
from .suites import SuiteFile, build_suite, load_suite_files

_EXAMPLES = 5


def _failure_details(result) -> list[dict]:
    failures = []
    for outcome in result.results:
        if outcome.success:
            continue
        detail = outcome.result or {}
        failures.append(
            {
                "expectation": outcome.expectation_config.type,
                "kwargs": {k: v for k, v in outcome.expectation_config.kwargs.items() if k != "batch_id"},
                "unexpected_count": detail.get("unexpected_count"),
                "examples": [str(v) for v in (detail.get("partial_unexpected_list") or [])[:_EXAMPLES]],
            }
        )
    return failures


def _skip_batch_fingerprint() -> None:
    """Stop GX from hashing every row of a DataFrame batch for its ``pandas_data_fingerprint``
    marker (it does so below ``HASH_THRESHOLD`` bytes, twice per validation: once on loading the
    batch and again when validating it). Nothing here reads that marker, and at a million rows
    the hashing took three times as long as the expectations themselves. GX has no setting for
    it, so the module's threshold is lowered; a test fails if GX stops honouring it."""
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0


def validate_dataframe(suite_file: SuiteFile, frame, extra: list[dict | None] = (),
                       expectations: list[dict] | None = None):
    """Run the suite (plus ``extra`` expectations computed for this run; or only
    ``expectations``) on a DataFrame in an ephemeral GX context (nothing written to disk)."""
    import great_expectations as gx

    from great_expectations.data_context.types.base import ProgressBarsConfig

    _skip_batch_fingerprint()
    context = gx.get_context(mode="ephemeral")
    # Progress bars would flood the run logs with carriage returns.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    suite = context.suites.add(build_suite(suite_file, [e for e in extra if e], expectations))
    batch_definition = (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset(name=suite_file.name)
        .add_batch_definition_whole_dataframe("whole_table")
    )
    return batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
        suite, result_format="SUMMARY"
    )


def previous_row_count(instance: dg.DagsterInstance, check_key: dg.AssetCheckKey, run_id: str) -> int | None:
    """Rows the suite validated in the latest earlier run where it completed (passed or failed)."""
    done = {AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED}
    for metadata in earlier_check_metadata(instance, check_key, run_id, done):
        rows = metadata.get("rows_validated")
        if rows is not None:
            return int(rows.value)
    return None


def row_count_change(suite_file: SuiteFile, previous: int | None) -> dict | None:
    """The suite's ``meta.row_count_change`` bounds ({"max_drop": 0.1, "max_growth": 5}) turned
    into a GX row-count expectation around the previous run's count; None without either."""
    bounds = suite_file.definition["meta"].get("row_count_change")
    if not bounds or not previous:
        return None
    return {"type": "expect_table_row_count_to_be_between",
            "kwargs": {"min_value": int(previous * (1 - bounds["max_drop"])),
                       "max_value": int(previous * bounds["max_growth"]) + 1}}


# Below this many rows in all, the suites are validated one after another in the step itself,
# which has GX imported by then (GreatExpectationsResource): a worker process would import it
# again (about 3 s each, of two CPUs) before validating anything. At a million customers a
# nightly run reads about 1.6M rows (its staging suites read only the rows changed since they
# last passed), validated in the step in 3.6 s, where two workers took 4.8 s; a full build reads
# over 7M, which workers validate side by side in less time than the step would alone.
PARALLEL_VALIDATION_MIN_ROWS = 5_000_000


def check_key(suite_file: SuiteFile) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey(suite_file.asset_key), f"gx_{suite_file.name}")


@dataclass(frozen=True)
class SuiteOutcome:
    """What a validation found, in plain values that cross a process boundary: the rows read,
    and either the expectations' results or the error that stopped the validation."""

    rows: int | None
    success: bool
    expectations: int = 0
    failures: tuple[dict, ...] = ()
    error: str | None = None
    rows_read: int | None = None

    @classmethod
    def failed(cls, error: BaseException) -> "SuiteOutcome":
        return cls(None, False, error=f"{type(error).__name__}: {error}")


def validate_table(suite_file: SuiteFile, database: str, extra: Sequence[dict | None] = (),
                   since: Since | None = None) -> SuiteOutcome:
    """Read what the suite needs from the warehouse (read-only, so that several processes can
    read at once) and validate it: the whole table, or, ``since`` a mark, the rows changed since
    for the expectations that allow it (changed_rows.py). A table that cannot be read (or a
    suite GX cannot run) fails this suite, not the others."""
    table = suite_file.warehouse_table
    expectations = [*suite_file.definition["expectations"], *(e for e in extra if e)]
    try:
        with duckdb.connect(database, read_only=True) as conn:
            if since is None:
                batches = [(conn.execute(changed_rows.whole_table_query(table, expectations)).df(), expectations)]
                rows = read = len(batches[0][0])
            else:
                on_changed, on_whole = changed_rows.split(expectations)
                batches = [(conn.execute(query).df(), chosen) for query, chosen in (
                    (changed_rows.changed_rows_query(table, on_changed, since), on_changed),
                    (changed_rows.whole_table_query(table, on_whole), on_whole)) if chosen]
                (rows,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
                read = len(batches[0][0]) if on_changed else 0
        results = [validate_dataframe(suite_file, frame, expectations=chosen) for frame, chosen in batches]
    except Exception as error:  # noqa: BLE001 — reported in this suite's check
        return SuiteOutcome.failed(error)
    return SuiteOutcome(rows, all(result.success for result in results), sum(len(r.results) for r in results),
                        tuple(failure for result in results for failure in _failure_details(result)), rows_read=read)


Job = tuple[SuiteFile, Sequence[dict | None], Since | None]
"""A suite to validate: with the extra expectations of this run, over the rows since a mark or all."""


def validate_suites(database: str, jobs: Sequence[Job], workers: int,
                    total_rows: int) -> Iterator[tuple[SuiteFile, SuiteOutcome]]:
    """Every job's outcome, in job order. With ``workers`` > 1 and ``total_rows`` to read of at
    least PARALLEL_VALIDATION_MIN_ROWS, worker processes read and validate side by side."""
    if workers < 2 or total_rows < PARALLEL_VALIDATION_MIN_ROWS:
        for suite_file, extra, since in jobs:
            yield suite_file, validate_table(suite_file, database, extra, since)
        return
    pool = process_pool(workers)
    futures = [pool.submit(validate_table, suite_file, database, extra, since) for suite_file, extra, since in jobs]
    for (suite_file, _, _), future in zip(jobs, futures):
        try:
            outcome = future.result()
        except Exception as error:  # noqa: BLE001 — the worker itself died (e.g. killed for memory)
            outcome = SuiteOutcome.failed(error)
        yield suite_file, outcome


class GreatExpectationsResource(dg.ConfigurableResource):
    """Great Expectations for the suites' checks. Importing GX takes about 2.5 s, as long as
    validating every suite of a nightly run. A run's resources are set up when it starts (the
    in-process executor sets up those of all its steps then), so this one asks for the import to
    be done while the dbt step waits for dbt (orchestration/lib/preparations.py): it then costs
    the run nothing."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        prepare_while_waiting("import great_expectations", lambda: importlib.import_module("great_expectations"))


def build_gx_checks(suite_files: Sequence[SuiteFile]) -> dg.AssetChecksDefinition:
    """Every suite as its own blocking check on its table, evaluated in one step so that the
    suites can be validated side by side (a step per check would run them one at a time in the
    run's process). Selecting some of the checks runs only those."""
    by_key = {check_key(suite_file): suite_file for suite_file in suite_files}

    @dg.multi_asset_check(
        name="gx_suites",
        specs=[
            dg.AssetCheckSpec(
                key.name,
                asset=key.asset_key,
                blocking=True,
                description=f"Great Expectations suite expectations/{suite_file.path.name} on {suite_file.warehouse_table}.",
            )
            for key, suite_file in by_key.items()
        ],
        can_subset=True,
    )
    def gx_suites(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
                  gx: GreatExpectationsResource):
        # ``gx`` is asked for only so that the run sets it up as it starts (see the resource).
        selected = [suite_file for key, suite_file in by_key.items() if key in context.selected_asset_check_keys]
        previous = {
            suite_file.name: previous_row_count(context.instance, check_key(suite_file), context.run.run_id)
            for suite_file in selected
        }
        now = datetime.now(timezone.utc)
        with duckdb.connect(warehouse.database, read_only=True) as conn:
            counts = {suite_file.name: _row_count(conn, suite_file) for suite_file in selected}
            marks = {suite_file.name: _current_mark(conn, suite_file, warehouse.database, now) for suite_file in selected}
            since = {suite_file.name: changed_rows.scope(
                conn, suite_file, changed_rows.last_mark(context.instance, check_key(suite_file), context.run.run_id),
                marks[suite_file.name]) for suite_file in selected}
        # A suite over the rows changed since its last pass reads few; the others their table.
        to_read = {name: 0 if since[name] else count for name, count in counts.items()}
        # Largest first, so that two workers finish together.
        jobs = sorted(((suite_file, [row_count_change(suite_file, previous[suite_file.name])], since[suite_file.name])
                       for suite_file in selected), key=lambda job: -to_read[job[0].name])
        outcomes = validate_suites(warehouse.database, jobs, workers_from_env("FUNNEL_CHECK_WORKERS"),
                                   sum(to_read.values()))
        for suite_file, outcome in outcomes:
            yield _check_result(suite_file, previous[suite_file.name], outcome, since[suite_file.name],
                                marks[suite_file.name])

    return gx_suites


def _current_mark(conn, suite_file: SuiteFile, database: str, now: datetime) -> Mark | None:
    try:
        return changed_rows.current_mark(conn, suite_file, database, now)
    except Exception:  # reading the table fails again, and is reported, in its own check
        return None


def _row_count(conn, suite_file: SuiteFile) -> int:
    try:
        return conn.execute(f"SELECT count(*) FROM {suite_file.warehouse_table}").fetchall()[0][0]
    except Exception:  # reading the table fails again, and is reported, in its own check
        return 0


def _check_result(suite_file: SuiteFile, previous: int | None, outcome: SuiteOutcome, since: Since | None = None,
                  mark: Mark | None = None) -> dg.AssetCheckResult:
    """The check's result. ``rows_validated`` is the whole table (the next run's row-count bound
    starts from it), ``rows_read`` what this run read, from ``validated_since`` (none: all); a
    suite over changed rows leaves the mark the next run reads from (changed_rows.py)."""
    key = check_key(suite_file)
    metadata = {"suite": suite_file.path.name, "rows_previous_run": previous}
    if outcome.error is not None:
        metadata["error"] = outcome.error
    else:
        metadata |= {"rows_validated": outcome.rows, "rows_read": outcome.rows_read,
                     "validated_since": since.through if since else None, "expectations": outcome.expectations,
                     "failed_expectations": dg.MetadataValue.json(list(outcome.failures))}
        if mark is not None:
            metadata |= mark.metadata()
    return dg.AssetCheckResult(asset_key=key.asset_key, check_name=key.name, passed=outcome.success,
                               severity=dg.AssetCheckSeverity.ERROR, metadata=metadata)


GX_CHECKS = [build_gx_checks(load_suite_files())]
