"""Loading one delivery at a time: re-loads, corrections, copies, extra columns and a killed
process, each on real files into a real DuckDB file."""

import os
import signal
import subprocess
import sys
import time
from datetime import date

import duckdb

from orchestration.defs.ingest.crm.contracts import LEADS
from orchestration.lib.loader import FileSpec
from orchestration.lib.partition_load import load_entity, load_partition
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
