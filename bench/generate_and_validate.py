"""Benchmark: generate N customers (default 1,000,000), then validate every file against its
contract and reconcile with the ground truth.

Prints wall time, peak memory and throughput of each phase, and compares in the same run with
two references: the same generator on N/100 customers scaled ×100 (does it scale linearly?) and
writing the same number of bytes straight to disk (how far from the I/O floor?).

    python bench/generate_and_validate.py [--customers 1000000] [--out /tmp/bench_landing] [--keep]
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


def _run_phase(code: str) -> dict:
    """Run one phase in a fresh interpreter so that its peak memory is its own."""
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"phase failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["seconds"] = time.monotonic() - started
    return result


def generate_phase(out: Path, customers: int) -> dict:
    return _run_phase(f"""
import json, resource
from pathlib import Path
from orchestration.generator import GeneratorConfig, generate
manifest = generate(Path({str(out)!r}), GeneratorConfig(customers={customers}))
size = sum(p.stat().st_size for p in Path({str(out)!r}).rglob('*') if p.is_file())
print(json.dumps({{"files": sum(manifest["files_written"].values()), "bytes": size,
                  "journeys": manifest["journeys"], "defects": manifest["defects"],
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
""")


def validate_phase(out: Path) -> dict:
    return _run_phase(f"""
import json, os, resource
from pathlib import Path
from orchestration.validate import compare_with_truth, validate_landing
report = validate_landing(Path({str(out)!r}), workers=os.cpu_count() or 1)
problems = compare_with_truth(report, Path({str(out)!r}))
print(json.dumps({{"rows_read": sum(e.rows_read for e in report.entities),
                  "quarantined": sum(sum(e.quarantined.values()) for e in report.entities),
                  "duplicate_files": sum(len(e.duplicate_files) for e in report.entities),
                  "problems": problems, "ok": report.ok,
                  "peak_mib": max(resource.getrusage(who).ru_maxrss for who in
                                  (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024}}))
""")


def raw_write_seconds(total_bytes: int, folder: Path) -> float:
    """The I/O floor: write the same number of bytes in 8 MiB chunks and fsync."""
    chunk = os.urandom(8 * 1024 * 1024)
    path = folder / "raw_write.bin"
    started = time.monotonic()
    with path.open("wb") as handle:
        written = 0
        while written < total_bytes:
            handle.write(chunk)
            written += len(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    elapsed = time.monotonic() - started
    path.unlink()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    args = parser.parse_args()
    base = args.out or Path(tempfile.mkdtemp(prefix="funnel_bench_"))
    full, small = base / "full", base / "reference"
    for folder in (full, small):
        shutil.rmtree(folder, ignore_errors=True)
    n, n_small = args.customers, max(1, args.customers // 100)

    print(f"generate {n:,} customers → {full}", flush=True)
    gen = generate_phase(full, n)
    print(f"  {gen['seconds']:.1f}s, {gen['files']:,} files, {gen['bytes'] / 2**30:.2f} GiB, "
          f"{n / gen['seconds']:,.0f} customers/s, peak {gen['peak_mib']:.0f} MiB", flush=True)
    print(f"  defects injected: {gen['defects']}")

    print(f"reference: generate {n_small:,} customers, scaled ×{n // n_small}", flush=True)
    ref = generate_phase(small, n_small)
    scaled = ref["seconds"] * (n / n_small)
    print(f"  {ref['seconds']:.1f}s → {scaled:.1f}s expected if linear; actual/linear = {gen['seconds'] / scaled:.2f}; "
          f"peak {ref['peak_mib']:.0f} MiB (memory is bounded if the full run's peak stays near this)")

    floor = raw_write_seconds(gen["bytes"], base)
    print(f"reference: writing {gen['bytes'] / 2**30:.2f} GiB straight to disk takes {floor:.1f}s; "
          f"generator = {gen['seconds'] / max(floor, 1e-9):.0f}× the I/O floor")

    print("validate every file against its contract and reconcile with the ground truth", flush=True)
    val = validate_phase(full)
    print(f"  {val['seconds']:.1f}s, {val['rows_read']:,} rows, {val['rows_read'] / val['seconds']:,.0f} rows/s, "
          f"peak {val['peak_mib']:.0f} MiB (largest process)")
    print(f"  quarantined {val['quarantined']:,}, duplicate files skipped {val['duplicate_files']:,}")
    if val["problems"] or not val["ok"]:
        print("  MISMATCH with the ground truth:\n    " + "\n    ".join(val["problems"]))
    else:
        print("  matches the ground truth exactly: every injected defect caught, nothing else quarantined")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    sys.exit(1 if val["problems"] or not val["ok"] else 0)


if __name__ == "__main__":
    main()
