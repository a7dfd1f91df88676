"""The Dagster home that `funnel` prepares: its dagster.yaml, and the event log it configures
(Dagster's SQLite event log with connections kept), on real Dagster runs."""

import shutil
import threading
from pathlib import Path

import dagster as dg
from dagster._core.storage.event_log import SqliteEventLogStorage

from orchestration.dagster_instance import MARKER, instance_config, write_instance_config
from orchestration.lib.event_log_storage import PooledSqliteEventLogStorage

DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_date="2025-03-01")


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def daily(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    if "2025-02-10" in context.partition_keys:
        raise dg.Failure(description="a delivery that cannot be read")
    return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})


def _range_tags(first: str, last: str) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def test_config_is_written_kept_when_own_and_repointed_when_copied(tmp_path: Path):
    home = tmp_path / "a" / "dagster_home"
    config = write_instance_config(home)
    assert config.read_text().startswith(MARKER)
    assert str((home / "history" / "runs").resolve()) in config.read_text()

    copied = tmp_path / "b" / "dagster_home"
    shutil.copytree(home, copied)
    write_instance_config(copied)
    assert (copied / "dagster.yaml").read_text() == instance_config(copied)
    assert str(home.resolve()) not in (copied / "dagster.yaml").read_text()

    own = "telemetry:\n  enabled: true\n"
    config.write_text(own)
    write_instance_config(home)
    assert config.read_text() == own

    config.write_text("telemetry:\n  enabled: false\n")  # what funnel wrote before
    write_instance_config(home)
    assert config.read_text() == instance_config(home)


def test_partition_status_and_history_as_dagster_stores_them(tmp_path: Path):
    home = tmp_path / "dagster_home"
    write_instance_config(home)
    keys = DAYS.get_partition_keys()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        ok = dg.materialize([daily], instance=instance, tags=_range_tags(keys[0], "2025-01-31"))
        assert ok.success
        failed = dg.materialize([daily], instance=instance, tags=_range_tags("2025-02-01", keys[-1]),
                                raise_on_error=False)
        assert not failed.success

    # A new process's view of the same home: what the UI and `funnel status` read.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert set(instance.get_materialized_partitions(daily.key)) == set(keys[:31])
        status = instance.get_status_by_partition(daily.key, keys, DAYS)
        assert {k for k, s in status.items() if s == dg.AssetPartitionStatus.MATERIALIZED} == set(keys[:31])
        assert {k for k, s in status.items() if s == dg.AssetPartitionStatus.FAILED} == set(keys[31:])
        materializations = instance.fetch_materializations(daily.key, limit=100).records
        assert len(materializations) == 31
        assert {r.partition_key for r in materializations} == set(keys[:31])
        assert instance.get_run_records()[0].dagster_run.status == dg.DagsterRunStatus.FAILURE


def test_a_watcher_sees_the_events_another_instance_writes(tmp_path: Path):
    """The UI follows a running run through `watch`: it must see events written by the run's own
    process, whose connection stays open."""
    home = tmp_path / "dagster_home"
    write_instance_config(home)
    keys = DAYS.get_partition_keys()
    with dg.DagsterInstance.from_config(str(home)) as writer, dg.DagsterInstance.from_config(str(home)) as ui:
        first = dg.materialize([daily], instance=writer, tags=_range_tags(keys[0], keys[2]))
        seen: list[dg.EventLogEntry] = []
        done = threading.Event()

        def callback(entry: dg.EventLogEntry, _cursor: str) -> None:
            seen.append(entry)
            if entry.dagster_event and entry.dagster_event.event_type == dg.DagsterEventType.RUN_SUCCESS:
                done.set()

        ui.event_log_storage.watch(first.run_id, None, callback)
        try:
            assert done.wait(timeout=30), f"the watcher saw {len(seen)} events and no RUN_SUCCESS"
        finally:
            ui.event_log_storage.end_watch(first.run_id, callback)
        stored = writer.all_logs(first.run_id)
        assert [e.timestamp for e in seen] == [e.timestamp for e in stored]


def test_every_event_is_stored_once_per_database(tmp_path: Path):
    """The run's own database holds every event and the index mirrors the asset events, as with
    Dagster's storage: the connections kept do not lose or repeat a write."""
    home = tmp_path / "dagster_home"
    write_instance_config(home)
    keys = DAYS.get_partition_keys()[:30]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = dg.materialize([daily], instance=instance, tags=_range_tags(keys[0], keys[-1]))
        logs = instance.all_logs(result.run_id)
        planned = [e for e in logs if e.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED]
        done = [e for e in logs if e.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION]
        assert len(planned) == len(done) == len(keys)
        indexed = instance.fetch_materializations(daily.key, limit=1000).records
        assert sorted(r.partition_key for r in indexed) == keys

        # Both databases are in WAL mode and their kept connections commit without an fsync
        # (synchronous=NORMAL is 1), the run's own included, which only becomes WAL once created.
        storage = instance.event_log_storage
        for connection in (storage.run_connection(result.run_id), storage.index_connection()):
            with connection as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1


@dg.asset(check_specs=[dg.AssetCheckSpec(f"rule_{i}", asset="checked") for i in range(5)])
def checked():
    yield dg.Output(1)
    for i in range(5):
        yield dg.AssetCheckResult(check_name=f"rule_{i}", passed=i != 3)


def test_asset_checks_are_stored_and_each_table_asked_for_once(tmp_path: Path, monkeypatch):
    """Every asset check evaluation asks the storage whether the index has the check tables;
    the answer is Dagster's own (a new connection), asked once per table while it is there."""
    asked: list[str] = []
    dagsters_has_table = SqliteEventLogStorage.has_table

    def counted(self, table_name: str) -> bool:
        asked.append(table_name)
        return dagsters_has_table(self, table_name)

    monkeypatch.setattr(SqliteEventLogStorage, "has_table", counted)
    home = tmp_path / "dagster_home"
    write_instance_config(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for _ in range(3):
            assert dg.materialize([checked], instance=instance).success
        assert len(asked) == len(set(asked)) > 0
        assert "asset_check_executions" in asked
        assert instance.event_log_storage.has_table("asset_check_executions")
        assert not instance.event_log_storage.has_table("no_such_table")
        assert not instance.event_log_storage.has_table("no_such_table")
        assert asked.count("no_such_table") == 2  # a no is asked again

        records = {
            f"rule_{i}": instance.event_log_storage.get_asset_check_execution_history(
                dg.AssetCheckKey(checked.key, f"rule_{i}"), limit=10)
            for i in range(5)
        }
    assert {name: len(history) for name, history in records.items()} == {f"rule_{i}": 3 for i in range(5)}
    assert {name: history[0].status.value for name, history in records.items()} == {
        f"rule_{i}": "FAILED" if i == 3 else "SUCCEEDED" for i in range(5)}
