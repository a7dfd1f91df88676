"""The audit gate in front of publication: every blocking check of every gated asset (the
published marts and what they are built from) must have passed on that asset's latest
materialization.

Within one run Dagster already skips the publish step after a failed blocking check; this gate
also covers a publish launched on its own (from the UI or the CLI) after a failed night.
"""

from collections.abc import Mapping, Sequence

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus


def _severity(record) -> dg.AssetCheckSeverity | None:
    evaluation = record.event.dagster_event.event_specific_data if record.event else None
    return getattr(evaluation, "severity", None)


def audit_problems(
    instance: dg.DagsterInstance, checks_by_asset: Mapping[dg.AssetKey, Sequence[dg.AssetCheckKey]]
) -> list[str]:
    """Why the assets may not be published, failed checks (the cause) before checks that did not
    run (usually skipped after them); empty when they may."""
    failed: list[str] = []
    problems: list[str] = []
    for asset_key, check_keys in checks_by_asset.items():
        name = asset_key.to_user_string()
        materialization = instance.get_latest_materialization_event(asset_key)
        if materialization is None:
            problems.append(f"{name} has never been built")
            continue
        latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(check_keys))
        for check_key in check_keys:
            record = latest.get(check_key)
            if record is None or record.status == AssetCheckExecutionRecordStatus.PLANNED:
                problems.append(f"{name}: check {check_key.name} has not run")
            elif record.run_id != materialization.run_id:
                problems.append(f"{name}: check {check_key.name} did not run on the latest build")
            elif (
                record.status == AssetCheckExecutionRecordStatus.FAILED
                and _severity(record) != dg.AssetCheckSeverity.WARN
            ):
                failed.append(f"{name}: check {check_key.name} failed")
    return failed + problems
