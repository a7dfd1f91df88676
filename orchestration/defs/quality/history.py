"""What a check left in the Dagster instance in earlier runs."""

from collections.abc import Iterator

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus


def earlier_check_metadata(instance: dg.DagsterInstance, check_key: dg.AssetCheckKey, run_id: str,
                           statuses: set[AssetCheckExecutionRecordStatus]) -> Iterator[dict]:
    """The metadata of the check's latest executions with one of ``statuses`` (at most five),
    newest first, leaving out run ``run_id`` (the one asking)."""
    for record in instance.event_log_storage.get_asset_check_execution_history(check_key, limit=5, status=statuses):
        if record.run_id != run_id and record.event is not None:
            yield record.event.dagster_event.event_specific_data.metadata
