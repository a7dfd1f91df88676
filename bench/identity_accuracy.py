"""Benchmark: how right is the single customer view at scale?

Generates N customers (default 100,000; reuses --home if it already holds deliveries), runs the
whole pipeline on them with `funnel run` (Dagster ingest → dbt build → checks → publish), and
scores the resolved customers against the generator's ground truth. In the same run it scores a
reference: the same identity models rebuilt with probabilistic matching off (shared keys only),
so the table shows what the Splink model adds and what it costs.

    python bench/identity_accuracy.py [--customers 100000] [--home /tmp/bench_identity] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(command: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return time.monotonic() - started


def _score(warehouse: Path, landing: Path) -> dict:
    from orchestration.scoring import score_warehouse

    s = score_warehouse(warehouse, landing)
    return {"precision": s.precision, "recall": s.recall, "f1": s.f1, "wrongly_merged": s.wrongly_merged,
            "split": s.split, "real_customers": s.real_customers, "resolved_customers": s.resolved_customers,
            "records": s.records_scored}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the home folder")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="bench_identity_"))
    landing, warehouse = home / "landing", home / "warehouse.duckdb"
    env = {**os.environ, "FUNNEL_HOME": str(home), "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    for derived in ("FUNNEL_LANDING_DIR", "FUNNEL_WAREHOUSE", "DAGSTER_HOME"):  # follow FUNNEL_HOME instead
        env.pop(derived, None)
    figures: dict = {"customers": args.customers}
    try:
        if not (landing / "ground_truth").exists():
            figures["generate_s"] = _run([str(BIN / "funnel"), "generate", "--out", str(landing), "--customers",
                                          str(args.customers), "--quiet"], env)
        figures["pipeline_s"] = _run([str(BIN / "funnel"), "run"], env)
        figures["with_matching"] = _score(warehouse, landing)

        # Reference: shared keys only, on a copy of the same warehouse.
        reference = home / "keys_only.duckdb"
        shutil.copy(warehouse, reference)
        dbt_dir = ROOT / "dbt_project"
        figures["keys_only_rebuild_s"] = _run(
            [str(BIN / "dbt"), "build", "--project-dir", str(dbt_dir), "--profiles-dir", str(dbt_dir),
             "--select", "int_identity__linkage_model+", "--log-path", str(home / "dbt_logs")],
            {**env, "FUNNEL_WAREHOUSE": str(reference), "FUNNEL_PROBABILISTIC_MATCHING": "false"})
        figures["keys_only"] = _score(reference, landing)
        reference.unlink()
    finally:
        if not args.keep and args.home is None:
            shutil.rmtree(home, ignore_errors=True)

    print(f"\nIdentity resolution, {args.customers:,} customers")
    print(f"{'':28}{'keys + Splink':>16}{'keys only (ref)':>18}")
    for name, fmt in [("precision", "{:.4f}"), ("recall", "{:.4f}"), ("f1", "{:.4f}"),
                      ("wrongly_merged", "{:,}"), ("split", "{:,}"), ("resolved_customers", "{:,}")]:
        row = [fmt.format(figures[side][name]) for side in ("with_matching", "keys_only")]
        print(f"{name:28}{row[0]:>16}{row[1]:>18}")
    print(f"full pipeline (funnel run)  {figures['pipeline_s']:>15.0f}s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
