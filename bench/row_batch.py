"""Benchmark: the cost of turning parsed rows into the Arrow table a delivery is loaded from.

Reads a few delivery days of each tabular entity of a generated dataset, then builds the table
both ways in the same run: the reference, Arrow's ``Table.from_pylist`` over one dict per row,
and ``RowBatch.table`` (one array per column, as ingest does), and prints the CPU time per row of
each next to the time per row of reading and converting the files. Each figure is the best of
``--repeat`` tries: this machine's run-to-run noise is larger than the difference otherwise.

    python bench/row_batch.py --data bench/.data/L [--days 10] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa

from orchestration.defs.ingest import ENTITIES
from orchestration.lib.loader import LoadReport, RowBatch, delivery_folders, read_file

TABLES = ("raw_crm.tasks", "raw_crm.leads", "raw_wecom.messages", "raw_wecom.external_contacts")


def best_of(repeat: int, work: Callable[[], object]) -> tuple[float, object]:
    """The least CPU seconds of ``repeat`` runs of ``work``, and its result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.process_time()
        result = work()
        times.append(time.process_time() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a generated dataset (its landing folders)")
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'table':30s} {'rows':>7s} {'read+convert':>13s} {'from_pylist':>12s} {'RowBatch':>9s}  (µs a row)")
    for contract, specs in ENTITIES:
        if contract.table not in TABLES:
            continue
        folders, _ = delivery_folders(args.data / contract.source)
        first = folders[len(folders) // 2][0]  # mid-history: a typical day, not the ramp-up
        days = [first + timedelta(days=i) for i in range(args.days)]
        files = [(spec, path) for day in days for spec in specs
                 for path in spec.matching(args.data / contract.source / day.isoformat())]

        def parse() -> RowBatch:
            batch, report = RowBatch(contract, None), LoadReport(contract.table)
            for spec, path in files:
                read_file(spec.open(path, contract), path.name, date(2026, 1, 1), contract.source, batch, report)
            return batch

        parse_seconds, batch = best_of(args.repeat, parse)
        rows, schema = batch.rows, contract.arrow_schema()
        reference_seconds, reference = best_of(args.repeat, lambda: pa.Table.from_pylist(rows, schema=schema))
        columnar_seconds, table = best_of(args.repeat, batch.table)
        if not table.equals(reference):
            raise SystemExit(f"{contract.table}: the two tables differ")
        n = max(len(batch), 1)
        print(f"{contract.table:30s} {len(batch):7d} {parse_seconds / n * 1e6:13.1f} "
              f"{reference_seconds / n * 1e6:12.1f} {columnar_seconds / n * 1e6:9.1f}")


if __name__ == "__main__":
    main()
