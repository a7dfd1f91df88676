"""Each GX suite as a blocking asset check on its warehouse table."""

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from orchestration.defs.resources import WarehouseResource

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


def validate_dataframe(suite_file: SuiteFile, frame, extra: list[dict | None] = ()):
    """Run the suite (plus ``extra`` expectations computed for this run) on a DataFrame in an
    ephemeral GX context (nothing written to disk)."""
    import great_expectations as gx

    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # Progress bars would flood the run logs with carriage returns.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    suite = context.suites.add(build_suite(suite_file, [e for e in extra if e]))
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
    for record in instance.event_log_storage.get_asset_check_execution_history(check_key, limit=5, status=done):
        if record.run_id == run_id or record.event is None:
            continue
        rows = record.event.dagster_event.event_specific_data.metadata.get("rows_validated")
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


def _validated_columns_query(suite_file: SuiteFile) -> str:
    """Fetch only what the suite reads; a suite of row-count expectations alone still needs the rows."""
    columns = ", ".join(f'"{name}"' for name in suite_file.columns) or "1 AS _row"
    return f"SELECT {columns} FROM {suite_file.warehouse_table}"


def build_gx_check(suite_file: SuiteFile) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(suite_file.asset_key),
        name=f"gx_{suite_file.name}",
        blocking=True,
        description=f"Great Expectations suite expectations/{suite_file.path.name} on {suite_file.warehouse_table}.",
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as conn:
            frame = conn.execute(_validated_columns_query(suite_file)).df()
        check_key = dg.AssetCheckKey(dg.AssetKey(suite_file.asset_key), f"gx_{suite_file.name}")
        previous = previous_row_count(context.instance, check_key, context.run.run_id)
        result = validate_dataframe(suite_file, frame, extra=[row_count_change(suite_file, previous)])
        failures = _failure_details(result)
        return dg.AssetCheckResult(
            passed=bool(result.success),
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "suite": suite_file.path.name,
                "rows_validated": len(frame),
                "rows_previous_run": previous,
                "expectations": len(result.results),
                "failed_expectations": dg.MetadataValue.json(failures),
            },
        )

    return _check


GX_CHECKS = [build_gx_check(suite_file) for suite_file in load_suite_files()]
