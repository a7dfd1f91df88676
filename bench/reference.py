"""The reference: headline KPIs by one hand-written DuckDB script (reference.sql) over the landed files.

DuckDB reads the CRM CSVs and WeCom JSONL as they land. The finance exports are GBK CSV and
xlsx, which DuckDB cannot read offline (its encodings and excel extensions are downloads), so the
reference first transcodes them to UTF-8 CSV, the way a person would with iconv and Excel; that
step is timed as part of the reference. Email (mbox/.eml) has no SQL reader and is left out.

    python bench/reference.py LANDING_DIR     # prints the timings and the KPI tables as JSON
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import openpyxl

SQL = Path(__file__).with_name("reference.sql")
KPI_TABLES = ("k01_new_leads", "k06_first_response", "k09_stage_conversion", "k11_win_rate",
              "k16_interaction", "k23_revenue")


def transcode_finance(landing: Path, out: Path) -> int:
    """Every finance CSV/xlsx under ``landing/finance`` as a UTF-8 CSV in ``out``; returns the count."""
    count = 0
    for path in sorted((landing / "finance").glob("*/*")):
        target = out / f"{path.stem}__{path.parent.name}.csv"
        if path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            with target.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                for row in book.active.iter_rows(values_only=True):
                    writer.writerow(["" if v is None else v for v in row])
            book.close()
        elif path.suffix == ".csv":
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("gb18030")
            target.write_text(text, encoding="utf-8")
        else:
            continue
        count += 1
    return count


def run_reference(landing: Path) -> dict:
    """Transcode, run the script, return the seconds of each step and the KPI tables."""
    with tempfile.TemporaryDirectory(prefix="funnel_reference_") as tmp:
        started = time.monotonic()
        files = transcode_finance(landing, Path(tmp))
        transcoded = time.monotonic()
        conn = duckdb.connect()
        conn.execute(SQL.read_text(encoding="utf-8").replace("{landing}", str(landing)).replace("{finance}", tmp))
        kpis = {name: conn.execute(f"SELECT * FROM {name}").fetchdf().astype(str).to_dict("records")
                for name in KPI_TABLES}
        finished = time.monotonic()
        rows = {name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                for name in ("leads", "opportunities", "stage_moves", "chats", "receipts")}
        conn.close()
    return {"transcode_seconds": transcoded - started, "sql_seconds": finished - transcoded,
            "seconds": finished - started, "finance_files": files, "rows": rows, "kpis": kpis}


if __name__ == "__main__":
    result = run_reference(Path(sys.argv[1]))
    print(json.dumps(result, ensure_ascii=False, indent=1, default=str))
