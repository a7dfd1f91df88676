"""Check at scale that the incremental nightly publishes what a full rebuild publishes.

``nightly.py`` leaves, per scale, a home whose last run was the incremental nightly on top of the
full build. This builds a fresh home from the same deliveries in one full run and compares every
published table of the two, row for row and bit for bit (no rounding): rows only the nightly
published, rows only the rebuild published. tests/test_incremental_build.py checks the same on the
sample; at a million customers the models run in parallel, where an order that is not pinned
(a tie, a floating-point sum) shows. Exits 1 when any table differs.

    python bench/nightly_equals_rebuild.py --scale M [--work bench/.work]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from nightly import ROOT, SCALES, delivery_dates, land, measure, pipeline_env, rows_apart


def published_tables(home: Path) -> dict[str, str]:
    """What to read each table of a home's current Parquet version by (its file, or its parts)."""
    from orchestration.lib.serving_store import parquet_tables

    tables = parquet_tables(home / "serving" / "parquet" / "current")
    return {name: path for name, path in tables.items() if name != "publish_log"}


def differences(left: dict[str, str], right: dict[str, str]) -> dict[str, tuple[int, int]]:
    """(rows only in left, rows only in right) of every table that differs, exactly; a table
    missing on one side counts all its rows."""
    import duckdb

    found: dict[str, tuple[int, int]] = {}
    with duckdb.connect() as conn:
        conn.execute("SET enable_progress_bar = false")
        for name in sorted(left.keys() | right.keys()):
            if name not in left or name not in right:
                present = left.get(name) or right[name]
                rows = conn.execute(f"SELECT count(*) FROM read_parquet({present!r})").fetchone()[0]
                found[name] = (rows, 0) if name in left else (0, rows)
                continue
            only_left, only_right = rows_apart(conn, f"read_parquet({left[name]!r})",
                                               f"read_parquet({right[name]!r})")
            if only_left or only_right:
                found[name] = (only_left, only_right)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="M", help="S, M or L: the scale nightly.py last ran")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / ".work", help="homes of nightly.py's runs")
    args = parser.parse_args()
    scale = SCALES[args.scale.upper()]
    nightly_home, rebuild_home = args.work / scale.name, args.work / f"{scale.name}-rebuild"
    if not published_tables(nightly_home):
        raise SystemExit(f"no published marts in {nightly_home}: run bench/nightly.py --scales {scale.name} first")
    shutil.rmtree(rebuild_home, ignore_errors=True)
    (rebuild_home / "landing").mkdir(parents=True)
    landing = nightly_home / "landing"
    land(landing, rebuild_home / "landing", delivery_dates(landing))
    print(f"[{scale.name}] full rebuild of every delivery the nightly home holds …", flush=True)
    started = time.monotonic()
    measured = measure([str(Path(sys.executable).with_name("funnel")), "run"], pipeline_env(rebuild_home, scale),
                       rebuild_home / "rebuild.log")
    if measured.returncode != 0:
        raise SystemExit(f"the rebuild failed (exit {measured.returncode}); see {rebuild_home / 'rebuild.log'}")
    print(f"[{scale.name}]   {time.monotonic() - started:.0f} s", flush=True)
    nightly, rebuild = published_tables(nightly_home), published_tables(rebuild_home)
    found = differences(nightly, rebuild)
    tables = len(nightly.keys() | rebuild.keys())
    for name, (only_nightly, only_rebuild) in found.items():
        print(f"[{scale.name}]   {name}: {only_nightly:,} rows only in the nightly's, {only_rebuild:,} only in the rebuild's")
    print(f"[{scale.name}] {len(found)} of {tables} published tables differ between the nightly and a full rebuild")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
