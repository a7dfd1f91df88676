"""Loading one delivery at a time: re-loads, corrections, copies, extra columns and a killed
process, each on real files into a real DuckDB file."""

import os
import signal
import subprocess
import sys
import time
from datetime import date

import duckdb
import pyarrow as pa
import pytest

from orchestration.defs.ingest.crm.contracts import LEADS
from orchestration.lib.errors import MalformedFileError
from orchestration.lib.loader import FileSpec, LoadReport, RowBatch, read_file
from orchestration.lib.partition_load import load_entity, load_partition, parse_partition, pending_deliveries
from orchestration.lib.readers import read_csv

HEADER = ("Id,FirstName,LastName,Company,Email,Phone,MobilePhone,LeadSource,Status,Rating,OwnerId,"
          "CreatedDate,ConvertedDate,ConvertedAccountId,ConvertedContactId,ConvertedOpportunityId,IsConverted")
SPECS = [FileSpec("Lead_*.csv", read_csv)]
DAY1, DAY2, DAY3 = date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)


def lead(lead_id: str, status: str = "Open - Not Contacted", created: str = "2025-08-01T02:00:00.000+0000") -> str:
    return f"{lead_id},伟,张,华通科技有限公司,zw@corp.cn,,13800138000,Website,{status},Hot,005A,{created},,,,,false"


def deliver(landing, day: date, name: str, *rows: str, header: str = HEADER) -> None:
    folder = landing / "crm" / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def state(db) -> dict:
    with duckdb.connect(str(db), read_only=True) as conn:
        return {
            "rows": conn.execute("SELECT lead_id, status, _source_file FROM raw_crm.leads ORDER BY ALL").fetchall(),
            "quarantine": conn.execute("SELECT source_file, source_line, reason FROM ingest.quarantine ORDER BY ALL").fetchall(),
            "files": conn.execute("SELECT file, status, replaced_by, rows_read, rows_loaded, rows_quarantined, rows_skipped "
                                  "FROM ingest.files ORDER BY ALL").fetchall(),
        }


def load(db, landing, day=None):
    with duckdb.connect(str(db)) as conn:
        if day is None:
            return load_entity(conn, LEADS, landing, SPECS)
        return load_partition(conn, LEADS, landing, SPECS, day)


def test_reloading_a_partition_replaces_exactly_its_rows(tmp_path):
    landing, db = tmp_path / "landing", tmp_path / "w.duckdb"
    deliver(landing, DAY1, "Lead_20251231.csv", lead("00Q1"), lead("00Q2"))
    deliver(landing, DAY2, "Lead_20260101.csv", lead("00Q3"))
    load(db, landing)
    before = state(db)
    load(db, landing, DAY2)
    assert state(db) == before
    # The export of day 2 is fixed in place and that partition alone is re-loaded.
    deliver(landing, DAY2, "Lead_20260101.csv", lead("00Q3", "Working - Contacted"), lead("00Q4"))
    load(db, landing, DAY2)
    rows = state(db)["rows"]
    assert [r[:2] for r in rows] == [("00Q1", "Open - Not Contacted"), ("00Q2", "Open - Not Contacted"),
                                     ("00Q3", "Working - Contacted"), ("00Q4", "Open - Not Contacted")]


def test_a_corrected_redelivery_replaces_the_earlier_file(tmp_path):
    landing, db = tmp_path / "landing", tmp_path / "w.duckdb"
    deliver(landing, DAY1, "Lead_20251231.csv", lead("00Q1"), lead("00Q2"), lead("00Q9", created="garbage"))
    deliver(landing, DAY3, "Lead_20251231.csv", lead("00Q1", "Working - Contacted"))  # 00Q2 and the bad row dropped
    for order in ([DAY1, DAY3], [DAY3, DAY1]):  # whatever order the partitions are loaded in
        db.unlink(missing_ok=True)
        for day in order:
            load(db, landing, day)
        current = state(db)
        assert current["rows"] == [("00Q1", "Working - Contacted", "crm/2026-01-03/Lead_20251231.csv")]
        assert current["quarantine"] == []
        assert ("crm/2026-01-01/Lead_20251231.csv", "superseded", "crm/2026-01-03/Lead_20251231.csv", 3, 0, 0, 3) \
            in current["files"]


def test_a_copy_is_loaded_once_whatever_the_load_order(tmp_path):
    landing, db = tmp_path / "landing", tmp_path / "w.duckdb"
    deliver(landing, DAY1, "Lead_20251231.csv", lead("00Q1"), lead("00Q2"))
    deliver(landing, DAY2, "Lead_20251231.csv", lead("00Q1"), lead("00Q2"))  # the same bytes again
    load(db, landing, DAY2)
    load(db, landing, DAY1)
    load(db, landing, DAY2)
    current = state(db)
    assert [r[2] for r in current["rows"]] == ["crm/2026-01-01/Lead_20251231.csv"] * 2
    assert ("crm/2026-01-02/Lead_20251231.csv", "duplicate", "crm/2026-01-01/Lead_20251231.csv", 2, 0, 0, 2) \
        in current["files"]


def test_the_same_bytes_under_another_name_are_another_export_and_load(tmp_path):
    """An incremental export of a lead that went back to an earlier state is byte for byte the
    export of that earlier day, under the new day's name: a new version, not a copy."""
    landing, db = tmp_path / "landing", tmp_path / "w.duckdb"
    deliver(landing, DAY1, "Lead_20251231.csv", lead("00Q1"))
    deliver(landing, DAY2, "Lead_20260101.csv", lead("00Q1", "Closed - Not Converted"))
    deliver(landing, DAY3, "Lead_20260102.csv", lead("00Q1"))  # the same bytes as day 1
    for order in ([DAY1, DAY2, DAY3], [DAY3, DAY1, DAY2]):
        db.unlink(missing_ok=True)
        for day in order:
            load(db, landing, day)
        current = state(db)
        assert sorted(r[2] for r in current["rows"]) == [
            "crm/2026-01-01/Lead_20251231.csv", "crm/2026-01-02/Lead_20260101.csv", "crm/2026-01-03/Lead_20260102.csv"]
        assert {f[1] for f in current["files"]} == {"loaded"}


def test_rows_read_reconcile_per_file_and_extra_columns_are_kept(tmp_path):
    landing, db = tmp_path / "landing", tmp_path / "w.duckdb"
    deliver(landing, DAY1, "Lead_20251231.csv", lead("00Q1") + ",北区", lead("00Q2", created="bad") + ",南区",
            header=HEADER + ",Region__c")
    deliver(landing, DAY2, "Lead_20251231.csv", lead("00Q1") + ",北区", lead("00Q2", created="bad") + ",南区",
            header=HEADER + ",Region__c")
    report = load(db, landing)
    assert report.unknown_columns == {"Region__c"}
    for file, status, _, read, loaded, quarantined, skipped in state(db)["files"]:
        assert read == loaded + quarantined + skipped == 2, file
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("SELECT _extra FROM raw_crm.leads").fetchone()[0] == '{"Region__c": "北区"}'


KILLED_LOAD = """
import sys, time
from datetime import date
from pathlib import Path
import duckdb
import orchestration.lib.partition_load as partition_load
from orchestration.defs.ingest.crm.contracts import LEADS
from orchestration.lib.loader import FileSpec
from orchestration.lib.readers import read_csv

real_insert = partition_load._insert
def insert_then_hang(conn, table, rows):
    real_insert(conn, table, rows)
    Path(sys.argv[2]).touch()  # the rows are written inside the open transaction: kill me now
    time.sleep(600)
partition_load._insert = insert_then_hang
with duckdb.connect(sys.argv[1]) as conn:
    partition_load.load_partition(conn, LEADS, Path(sys.argv[3]), [FileSpec("Lead_*.csv", read_csv)], date(2026, 1, 2))
"""


def test_a_process_killed_during_a_load_leaves_the_previous_state(tmp_path):
    landing, db, marker = tmp_path / "landing", tmp_path / "w.duckdb", tmp_path / "inserted"
    deliver(landing, DAY1, "Lead_20251231.csv", lead("00Q1"))
    deliver(landing, DAY2, "Lead_20260101.csv", lead("00Q2"), lead("00Q3"))
    load(db, landing, DAY1)
    before = state(db)
    child = subprocess.Popen([sys.executable, "-c", KILLED_LOAD, str(db), str(marker), str(landing)],
                             env={**os.environ, "PYTHONPATH": os.getcwd()})
    deadline = time.monotonic() + 120
    while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the load never reached its insert"
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert state(db) == before  # nothing of the killed load is visible
    load(db, landing, DAY2)
    resumed = state(db)
    uninterrupted = tmp_path / "clean.duckdb"
    load(uninterrupted, landing, DAY1)
    load(uninterrupted, landing, DAY2)
    expected = state(uninterrupted)
    assert resumed["rows"] == expected["rows"] and resumed["files"] == expected["files"]
    assert [r[0] for r in resumed["rows"]] == ["00Q1", "00Q2", "00Q3"]


# --- the sensor and the CLI backfill ------------------------------------------------------------

def test_pending_deliveries_rehash_only_files_whose_size_or_modification_time_changed(tmp_path):
    landing, db = tmp_path / "landing", tmp_path / "w.duckdb"
    deliver(landing, DAY1, "Lead_20251231.csv", lead("00Q1"))
    deliver(landing, DAY2, "Lead_20260101.csv", lead("00Q2"))
    load(db, landing)

    def pending():
        return pending_deliveries(db, landing, [(LEADS, SPECS)])

    assert pending() == []
    deliver(landing, DAY2, "Lead_20260101.csv", lead("00Q2", "Working - Contacted"))  # corrected in place
    assert pending() == [DAY2]
    load(db, landing, DAY2)
    assert pending() == []

    # Other bytes under the same size and modification time pass for the recorded file: the
    # registry's hash is reused, not recomputed (as make and rsync decide). Touching it is enough.
    first = landing / "crm" / DAY1.isoformat() / "Lead_20251231.csv"
    before = first.stat()
    first.write_bytes(first.read_bytes().replace(b"00Q1", b"00Q7"))
    os.utime(first, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert pending() == []
    os.utime(first, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    assert pending() == [DAY1]

    # A registry written before sizes and times were recorded: every file is hashed, and the next
    # load adds the columns back.
    with duckdb.connect(str(db)) as conn:
        conn.execute("ALTER TABLE ingest.files DROP COLUMN size_bytes")
        conn.execute("ALTER TABLE ingest.files DROP COLUMN modified_ns")
    assert pending() == [DAY1]
    load(db, landing, DAY1)
    assert pending() == []
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM ingest.files WHERE size_bytes IS NOT NULL").fetchone()[0] == 1
    (landing / "crm" / DAY3.isoformat()).mkdir()
    assert pending() == []  # an empty folder delivers nothing
    deliver(landing, DAY3, "Lead_20260102.csv", lead("00Q3"))
    assert pending() == [DAY3]


def test_sensor_requests_each_new_or_changed_delivery_once(tmp_path):
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.defs.resources import LandingZone

    landing = tmp_path / "landing"
    deliver(landing, DAY1, "Lead_20251231.csv", lead("00Q1"))
    (landing / "finance" / DAY2.isoformat()).mkdir(parents=True)
    (landing / "finance" / DAY2.isoformat() / "invoices_20260101.csv").write_text("发票号码\n1\n", encoding="utf-8")
    sensor = defs.resolve_sensor_def("new_deliveries")
    instance = dg.DagsterInstance.ephemeral()

    def evaluate(cursor):
        context = dg.build_sensor_context(cursor=cursor, definitions=defs, instance=instance,
                                          resources={"landing": LandingZone(path=str(landing))})
        return sensor.evaluate_tick(context)

    first = evaluate(None)
    requested = {(r.partition_key, r.tags["funnel/source"]) for r in first.run_requests}
    assert requested == {("2026-01-01", "crm"), ("2026-01-02", "finance")}
    crm_request = next(r for r in first.run_requests if r.tags["funnel/source"] == "crm")
    assert {k.path[0] for k in crm_request.asset_selection} == {"raw_crm"}
    assert evaluate(first.cursor).run_requests == []  # nothing new
    deliver(landing, DAY1, "Task_20251231.csv", "00T1,00Q1,,电话沟通,2025-08-01,Call,Completed,2025-08-01T02:00:00.000+0000,005A",
            header="Id,WhoId,WhatId,Subject,ActivityDate,Type,Status,CreatedDate,OwnerId")
    again = evaluate(first.cursor)
    assert [(r.partition_key, r.tags["funnel/source"]) for r in again.run_requests] == [("2026-01-01", "crm")]

    # A sensor meeting deliveries for the first time (e.g. `funnel ui` after `funnel run`) skips the
    # partitions every asset of the source has already loaded, and still requests the rest.
    from orchestration.defs.ingest import ASSETS

    for asset in ASSETS:
        if asset.key.path[0] == "raw_crm":
            instance.report_runless_asset_event(dg.AssetMaterialization(asset.key, partition="2026-01-01"))
    fresh = evaluate(None)
    assert {(r.partition_key, r.tags["funnel/source"]) for r in fresh.run_requests} == {("2026-01-02", "finance")}
    assert evaluate(fresh.cursor).run_requests == []
    deliver(landing, DAY1, "Lead_20251231.csv", lead("00Q1"), lead("00Q9"))  # a later correction
    assert [r.partition_key for r in evaluate(fresh.cursor).run_requests] == ["2026-01-01"]


def test_backfilling_a_range_of_partitions_from_the_dagster_cli(tmp_path):
    from conftest import BIN, PROJECT_ROOT, Home, command_env

    home = Home(tmp_path / "home")
    for day, name, rows in [(DAY1, "Lead_20251231.csv", [lead("00Q1")]), (DAY2, "Lead_20260101.csv", [lead("00Q2")]),
                            (DAY3, "Lead_20260102.csv", [lead("00Q3")])]:
        deliver(home.landing, day, name, *rows)
    home.dagster_home.mkdir(parents=True)
    env = command_env(home)
    completed = subprocess.run(
        [str(BIN / "dagster"), "asset", "materialize", "-m", "orchestration.definitions",
         "--select", "group:ingest", "--partition-range", "2026-01-01...2026-01-02"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-3000:]
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        rows = conn.execute("SELECT lead_id, _delivery_date FROM raw_crm.leads ORDER BY 1").fetchall()
    assert rows == [("00Q1", DAY1), ("00Q2", DAY2)]  # the third delivery is outside the range


def test_gzip_deliveries_load_and_a_truncated_one_fails_naming_file_and_offset(tmp_path):
    import gzip

    landing, db = tmp_path / "landing", tmp_path / "w.duckdb"
    text = "\n".join([HEADER, lead("00Q1"), lead("00Q2")]) + "\n"
    folder = landing / "crm" / DAY1.isoformat()
    folder.mkdir(parents=True)
    (folder / "Lead_20251231.csv.gz").write_bytes(gzip.compress(text.encode("utf-8")))
    load(db, landing, DAY1)
    assert [r[0] for r in state(db)["rows"]] == ["00Q1", "00Q2"]

    cut = gzip.compress((text * 50).encode("utf-8"))[:-40]
    broken = landing / "crm" / DAY2.isoformat() / "Lead_20260101.csv.gz"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(cut)
    with pytest.raises(MalformedFileError) as error:
        load(db, landing, DAY2)
    assert str(broken) in str(error.value) and f"byte {len(cut)}" in str(error.value)
    assert [r[0] for r in state(db)["rows"]] == ["00Q1", "00Q2"]  # the earlier delivery is untouched


def _raw_state(db, table: str) -> dict:
    with duckdb.connect(str(db), read_only=True) as conn:
        return {
            "rows": conn.execute(f"SELECT * EXCLUDE (_loaded_at) FROM {table} ORDER BY ALL").fetchall(),
            "quarantine": conn.execute("SELECT * EXCLUDE (loaded_at) FROM ingest.quarantine ORDER BY ALL").fetchall(),
            "files": conn.execute("SELECT * EXCLUDE (loaded_at) FROM ingest.files ORDER BY ALL").fetchall(),
        }


def test_parallel_parsing_loads_exactly_what_the_writer_alone_loads(tmp_path, monkeypatch, demo):
    """Worker processes parse deliveries ahead of the writer: same rows, quarantine and registry
    as parsing inline, on every kind of sample file (mbox/eml, JSON, GBK CSV, xlsx)."""
    from orchestration.defs.ingest import entity_by_table
    from orchestration.lib import partition_load, workers

    monkeypatch.setattr(partition_load, "PARALLEL_PARSE_MIN_BYTES", 0)
    monkeypatch.setenv("FUNNEL_INGEST_WORKERS", "2")
    for table in ("raw_email.messages", "raw_finance.invoices", "raw_wecom.messages"):
        contract, specs = entity_by_table(table)
        states = []
        for mode, resolve in (("inline", None), ("workers", entity_by_table)):
            db = tmp_path / f"{contract.entity}_{contract.source}_{mode}.duckdb"
            with duckdb.connect(str(db)) as conn:
                load_entity(conn, contract, demo.home.landing, list(specs), None, resolve)
            states.append(_raw_state(db, table))
        assert states[0]["rows"], table
        assert states[0] == states[1], table
    assert 2 in workers._POOLS  # the workers did the parsing


def test_a_range_load_keeps_each_delivery_it_committed_and_restores_the_checkpoint_threshold(tmp_path):
    # A range load defers DuckDB's checkpoints; that must neither outlive the load (also when a
    # file fails) nor lose a delivery committed before the failure.
    landing, db = tmp_path / "landing", tmp_path / "w.duckdb"
    deliver(landing, DAY1, "Lead_20251231.csv", lead("00Q1"), lead("00Q2"))
    deliver(landing, DAY2, "Lead_20260101.csv", "00Q3,伟", header="Id,FirstName")
    with duckdb.connect(str(db)) as conn:
        default = conn.execute("SELECT current_setting('checkpoint_threshold')").fetchone()[0]
        with pytest.raises(MalformedFileError, match="missing required column"):
            load_entity(conn, LEADS, landing, SPECS)
        assert conn.execute("SELECT current_setting('checkpoint_threshold')").fetchone()[0] == default
    assert [row[0] for row in state(db)["rows"]] == ["00Q1", "00Q2"]


def test_a_range_load_ends_where_loading_each_delivery_alone_ends_whatever_the_order(tmp_path):
    # A range load reads the registry once and keeps it current itself; a delivery loaded alone
    # asks the registry. Copies, corrections and re-loads must come out the same either way.
    landing = tmp_path / "landing"
    day4 = date(2026, 1, 4)
    deliver(landing, DAY1, "Lead_A.csv", lead("00Q1"), lead("00Q2"))
    deliver(landing, DAY1, "Lead_B.csv", lead("00Q3"), lead("00Q8", created="garbage"))
    deliver(landing, DAY2, "Lead_A.csv", lead("00Q1"), lead("00Q2"))  # a copy of day 1's
    deliver(landing, DAY2, "Lead_C.csv", lead("00Q4"))
    deliver(landing, DAY3, "Lead_A.csv", lead("00Q1", "Working - Contacted"))  # corrects day 1's
    deliver(landing, DAY3, "Lead_B.csv", lead("00Q3"), lead("00Q8", created="garbage"))  # a copy
    deliver(landing, day4, "Lead_C.csv", lead("00Q4", "Closed - Not Converted"), lead("00Q9", created="garbage"))
    days = [DAY1, DAY2, DAY3, day4]

    def end_state(name: str, *loads) -> dict:
        db = tmp_path / f"{name}.duckdb"
        with duckdb.connect(str(db)) as conn:
            for deliveries in loads:
                if isinstance(deliveries, list):
                    load_entity(conn, LEADS, landing, SPECS, deliveries)
                else:
                    load_partition(conn, LEADS, landing, SPECS, deliveries)
        return state(db)

    def what_is_loaded(current: dict) -> dict:
        # Loaded after day 3, day 2's copy of Lead_A is labelled superseded (by day 3) rather
        # than a duplicate (of day 1): skipped either way, so only what is loaded is compared.
        return {**current, "files": [(f[0], f[1] == "loaded", *f[3:6]) for f in current["files"]]}

    one_by_one = end_state("one_by_one", *days)
    assert {f[0]: f[1] for f in one_by_one["files"]} == {
        "crm/2026-01-01/Lead_A.csv": "superseded", "crm/2026-01-01/Lead_B.csv": "loaded",
        "crm/2026-01-02/Lead_A.csv": "duplicate", "crm/2026-01-02/Lead_C.csv": "superseded",
        "crm/2026-01-03/Lead_A.csv": "loaded", "crm/2026-01-03/Lead_B.csv": "duplicate",
        "crm/2026-01-04/Lead_C.csv": "loaded"}
    assert [r[:2] for r in one_by_one["rows"]] == [
        ("00Q1", "Working - Contacted"), ("00Q3", "Open - Not Contacted"), ("00Q4", "Closed - Not Converted")]
    assert len(one_by_one["quarantine"]) == 2  # day 1's bad row and day 4's
    for name, loads in {"range": [days], "again": [days, [DAY2, DAY3], days], "reverse": [list(reversed(days))],
                        "halves": [[DAY3, day4], [DAY1, DAY2]], "mixed": [day4, [DAY1, DAY3], DAY2, [DAY2, day4]]}.items():
        in_ranges = end_state(name, *loads)
        alone = [day for deliveries in loads for day in (sorted(deliveries) if isinstance(deliveries, list)
                                                          else [deliveries])]
        assert in_ranges == end_state(f"{name}_alone", *alone), name  # labels included
        assert what_is_loaded(in_ranges) == what_is_loaded(one_by_one), name


def test_a_range_reload_after_a_file_was_fixed_in_place_matches_reloading_each_delivery(tmp_path):
    landing = tmp_path / "landing"
    deliver(landing, DAY1, "Lead_B.csv", lead("00Q3"))
    deliver(landing, DAY3, "Lead_B.csv", lead("00Q3"))  # a copy of day 1's, skipped
    ranged, alone = tmp_path / "ranged.duckdb", tmp_path / "alone.duckdb"
    for db in (ranged, alone):
        load(db, landing)
    deliver(landing, DAY1, "Lead_B.csv", lead("00Q3", "Working - Contacted"))  # day 1's export fixed in place
    with duckdb.connect(str(ranged)) as conn:
        load_entity(conn, LEADS, landing, SPECS, [DAY1, DAY3])
    for day in (DAY1, DAY3):
        load(alone, landing, day)
    assert state(ranged) == state(alone)
    # Day 3's file now differs from day 1's: the later version, loaded; day 1's superseded.
    assert [r[1:] for r in state(ranged)["rows"]] == [("Open - Not Contacted", "crm/2026-01-03/Lead_B.csv")]


def test_a_parsed_delivery_holds_the_same_table_as_its_rows_one_by_one(tmp_path):
    """The parsed table, built a column at a time, equals the table Arrow builds from the rows as
    dicts (the simple way), for a file with a quarantined row, an extra column and empty values;
    an unreadable file's rows are taken out again."""
    deliver(tmp_path, DAY1, "Lead_1.csv", lead("00Q1"), "00Q2,,,,,,,,,,,not-a-time,,,,,false", lead("00Q3").replace(",Hot,", ",,"),
            header=HEADER)
    deliver(tmp_path, DAY1, "Lead_2.csv", lead("00Q4") + ",extra", header=HEADER + ",Note")
    parsed = parse_partition(LEADS, tmp_path, SPECS, DAY1)
    assert parsed.rows.column("lead_id").to_pylist() == ["00Q1", "00Q3", "00Q4"]
    batch = RowBatch(LEADS, None)
    report = LoadReport(LEADS.table)
    for name in ("Lead_1.csv", "Lead_2.csv"):
        path = tmp_path / "crm" / DAY1.isoformat() / name
        read_file(SPECS[0].open(path, LEADS), f"crm/{DAY1}/{name}", DAY1, "crm", batch, report)
    by_dicts = pa.Table.from_pylist(batch.rows, schema=LEADS.arrow_schema())
    assert batch.table().equals(by_dicts)
    assert parsed.rows.drop_columns(["_source_file"]).equals(by_dicts.drop_columns(["_source_file"]))
    assert by_dicts.column("_extra").to_pylist() == [None, None, '{"Note": "extra"}']
    assert [q["source_line"] for q in batch.quarantine] == [3]
    batch.truncate(1)
    assert len(batch) == 1 and batch.table().column("lead_id").to_pylist() == ["00Q1"]


def test_every_row_carries_the_commit_time_of_its_delivery(tmp_path):
    """_loaded_at of each raw row (and quarantine entry) is the time its delivery committed, the
    one the file registry records: what the incremental staging models read new rows by."""
    landing, db = tmp_path / "landing", tmp_path / "w.duckdb"
    deliver(landing, DAY1, "Lead_1.csv", lead("00Q1"), lead("00Q2"), lead("00Q8", created="garbage"))
    deliver(landing, DAY2, "Lead_2.csv", lead("00Q3"))
    load(db, landing)
    load(db, landing, DAY2)  # a re-load commits again, later
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute(
            "SELECT r._delivery_date, count(*), count(*) FILTER (WHERE r._loaded_at = f.loaded_at) "
            "FROM raw_crm.leads r JOIN ingest.files f ON f.file = r._source_file GROUP BY ALL ORDER BY 1").fetchall()
        quarantined = conn.execute(
            "SELECT count(*) FROM ingest.quarantine q JOIN ingest.files f "
            "ON f.file = q.source_file AND f.loaded_at = q.loaded_at").fetchone()[0]
        commits = conn.execute("SELECT delivery_date, loaded_at FROM ingest.files ORDER BY 1").fetchall()
    assert rows == [(DAY1, 2, 2), (DAY2, 1, 1)]
    assert quarantined == 1
    assert commits[0][1] < commits[1][1]
