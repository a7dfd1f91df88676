"""Each GX suite as a blocking asset check on its warehouse table."""

import dagster as dg

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


def validate_dataframe(suite_file: SuiteFile, frame):
    """Run the suite on a DataFrame in an ephemeral GX context (nothing written to disk)."""
    import great_expectations as gx

    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # Progress bars would flood the run logs with carriage returns.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    suite = context.suites.add(build_suite(suite_file))
    batch_definition = (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset(name=suite_file.name)
        .add_batch_definition_whole_dataframe("whole_table")
    )
    return batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
        suite, result_format="SUMMARY"
    )


def build_gx_check(suite_file: SuiteFile) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(suite_file.asset_key),
        name=f"gx_{suite_file.name}",
        blocking=True,
        description=f"Great Expectations suite expectations/{suite_file.path.name} on {suite_file.warehouse_table}.",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as conn:
            frame = conn.execute(f"SELECT * FROM {suite_file.warehouse_table}").df()
        result = validate_dataframe(suite_file, frame)
        failures = _failure_details(result)
        return dg.AssetCheckResult(
            passed=bool(result.success),
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "suite": suite_file.path.name,
                "rows_validated": len(frame),
                "expectations": len(result.results),
                "failed_expectations": dg.MetadataValue.json(failures),
            },
        )

    return _check


GX_CHECKS = [build_gx_check(suite_file) for suite_file in load_suite_files()]
