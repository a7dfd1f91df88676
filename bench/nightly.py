"""Benchmark: the full build and an incremental nightly run, against a hand-written DuckDB floor.

For each scale (S = the sample, M = 100k customers, L = 1M customers over two years) it

1. generates the dataset once into ``--data`` (reused on later runs: generation is not measured);
2. **full build**: a fresh home whose landing zone holds every delivery but the last day, and
   ``funnel run`` on it (ingest → dbt build → GX checks → publish), as a user runs it;
3. **incremental nightly**: the last day's deliveries land, and ``funnel run`` again;
4. **a night after a settings change**: nothing new lands, and ``funnel run`` again with one
   more mail domain of ours (``FUNNEL_COMPANY_EMAIL_DOMAINS``, a domain no mail comes from).
   Every touch is then classified again and every model downstream of the touches finds all of
   them in what changed, though nothing it computes does: the night a user edits a setting (or
   deploys new code for the touch models) must still run, within the machine's memory, and
   publish what it published before;
5. **reference**: ``reference.py`` computes the headline KPIs from all the landed files in one
   DuckDB script.

Every step is its own process; psutil samples the resident memory of its whole process tree
(dbt and DuckDB run in children) to give the peak. Stage times come from the Dagster run history
of the home: the ingest run, the dbt step, the GX check steps and the publish step.

    python bench/nightly.py --scales S,M,L [--data bench/.data] [--work bench/.work] [--out bench/results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import psutil

from orchestration.settings import dbt_target_dir

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("crm", "email", "finance", "wecom")


@dataclass(frozen=True)
class Scale:
    name: str
    customers: int
    days: int
    start: str


# The settings of the night after a settings change: one more mail domain of ours, from which no
# mail comes (the generator's is ourcompany.cn), so that every touch is classified again and none
# differs.
SETTINGS_CHANGE = {"FUNNEL_COMPANY_EMAIL_DOMAINS": "ourcompany.cn,bench.example.invalid"}

SCALES = {
    "S": Scale("S", 300, 184, "2025-07-01"),
    "M": Scale("M", 100_000, 730, "2024-11-20"),
    "L": Scale("L", 1_000_000, 730, "2024-11-20"),
}


@dataclass
class Measured:
    seconds: float
    peak_rss_mib: float
    returncode: int
    # The peak's resident memory by kind of process (see _kind): what holds the memory then
    peak_rss_by_process_mib: dict[str, float] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)  # each Dagster step (an ingest entity, dbt, …)
    dbt: dict = field(default_factory=dict)  # the dbt build's own timings: see dbt_timings
    # Of the total, the seconds Dagster took to store its per-partition events (see events_seconds)
    dagster_events: float = 0.0


def _kind(member: psutil.Process) -> str:
    """What a process of the measured tree is: the pipeline's own process (Dagster, the ingest
    writer, the publish), dbt (its DuckDB included), or a worker process (ingest parsing, GX)."""
    command = " ".join(member.cmdline())
    if "multiprocessing" in command:
        return "workers"
    if "dbt" in member.name() or "/dbt " in f"{command} ":
        return "dbt"
    return "pipeline"


def _tree_rss(process: psutil.Process, kinds: dict[int, str]) -> dict[str, int]:
    """Resident bytes of the tree by kind of process; ``kinds`` remembers each pid's kind."""
    total: dict[str, int] = {}
    for member in [process, *process.children(recursive=True)]:
        try:
            kind = kinds.get(member.pid)
            if kind is None:
                kind = kinds[member.pid] = _kind(member)
            total[kind] = total.get(kind, 0) + member.memory_info().rss
        except psutil.Error:  # ended between the listing and the reading
            pass
    return total


def measure(command: list[str], env: dict[str, str], log: Path) -> Measured:
    """Run ``command``, sampling the summed RSS of its process tree every 0.2 s."""
    peak: dict[str, int] = {}
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as handle:
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
        watched = psutil.Process(child.pid)
        done = threading.Event()
        kinds: dict[int, str] = {}

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                try:
                    now = _tree_rss(watched, kinds)
                except psutil.Error:
                    return
                if sum(now.values()) > sum(peak.values()):
                    peak = now
                done.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = child.wait()
        done.set()
        sampler.join()
    return Measured(time.monotonic() - started, sum(peak.values()) / 2**20, returncode,
                    {kind: round(rss / 2**20, 1) for kind, rss in sorted(peak.items())})


def dataset(scale: Scale, data_dir: Path, env: dict[str, str]) -> Path:
    """The scale's landing zone, generated on first use (a stamp marks a complete generation)."""
    folder = data_dir / scale.name
    stamp = folder / "generated.json"
    wanted = asdict(scale)
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    print(f"[{scale.name}] generating {scale.customers:,} customers over {scale.days} days into {folder} …",
          flush=True)
    subprocess.run([sys.executable, "-m", "orchestration.generator", "--out", str(folder), "--customers",
                    str(scale.customers), "--days", str(scale.days), "--start", scale.start, "--quiet"],
                   cwd=ROOT, env=env, check=True)
    stamp.write_text(json.dumps(wanted))
    return folder


def delivery_dates(landing: Path) -> list[str]:
    return sorted({p.name for s in SOURCES for p in (landing / s).glob("*") if p.is_dir()})


def land(source_landing: Path, target_landing: Path, dates: list[str]) -> None:
    """Hard-link the delivery folders of ``dates`` into ``target_landing`` (cheap and exact)."""
    for source in SOURCES:
        for day in dates:
            folder = source_landing / source / day
            if not folder.is_dir():
                continue
            target = target_landing / source / day
            target.mkdir(parents=True, exist_ok=True)
            for path in folder.iterdir():
                os.link(path, target / path.name)


def stage_seconds(dagster_home: Path, since: float) -> tuple[dict[str, float], dict[str, float], float]:
    """Seconds of each stage, summed over the steps of the runs started after ``since``, of each
    step (which ingest entity took the time, for one), and of Dagster's own event storage."""
    import dagster as dg

    stages = {"ingest": 0.0, "dbt": 0.0, "checks": 0.0, "publish": 0.0}
    steps: dict[str, float] = {}
    events = 0.0
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        for run in instance.get_run_records():
            if run.create_timestamp.timestamp() < since:
                continue
            events += events_seconds(instance, run.dagster_run.run_id)
            for step in instance.get_run_step_stats(run.dagster_run.run_id):
                if step.start_time is None or step.end_time is None:
                    continue
                seconds = step.end_time - step.start_time
                steps[step.step_key] = steps.get(step.step_key, 0.0) + seconds
                if run.dagster_run.job_name == "ingest_deliveries":
                    stages["ingest"] += seconds
                elif step.step_key == "funnel_dbt_models":
                    stages["dbt"] += seconds
                elif step.step_key == "gx_suites" or "_gx_" in step.step_key:  # one step, or one per suite (older code)
                    stages["checks"] += seconds
                elif step.step_key.endswith("published_marts"):
                    stages["publish"] += seconds
    return stages, steps, events


def events_seconds(instance, run_id: str) -> float:
    """The seconds a run spent storing Dagster's per-partition events: the materialization-planned
    events written before the run starts (one per asset and partition), and the materializations
    a step logs after its last output (one per partition a range run covers). Both grow with the
    number of deliveries, whatever the data; they are part of the stage and "other" times."""
    from dagster import DagsterEventType

    kinds = {DagsterEventType.ASSET_MATERIALIZATION_PLANNED, DagsterEventType.RUN_START,
             DagsterEventType.STEP_OUTPUT, DagsterEventType.STEP_SUCCESS}
    first_planned = run_start = None
    last_output: dict[str, float] = {}
    seconds = 0.0
    for record in instance.get_records_for_run(run_id, of_type=kinds).records:
        entry = record.event_log_entry
        kind = entry.dagster_event_type
        if kind == DagsterEventType.ASSET_MATERIALIZATION_PLANNED and first_planned is None:
            first_planned = entry.timestamp
        elif kind == DagsterEventType.RUN_START:
            run_start = entry.timestamp
        elif kind == DagsterEventType.STEP_OUTPUT:
            last_output[entry.step_key] = entry.timestamp
        elif kind == DagsterEventType.STEP_SUCCESS and entry.step_key in last_output:
            seconds += entry.timestamp - last_output[entry.step_key]
    if first_planned is not None and run_start is not None:
        seconds += run_start - first_planned
    return seconds


def pipeline_env(home: Path, scale: Scale) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUNNEL_", "DAGSTER_"))}
    env.update(FUNNEL_HOME=str(home), FUNNEL_FIRST_DELIVERY_DATE=scale.start)
    return env


def dbt_timings(since: float, slowest: int = 15) -> dict:
    """What the run's dbt build (started after ``since``) spent, from its run_results.json: its
    elapsed seconds, the seconds summed over models and over data tests (it runs two nodes at a
    time, so the sums exceed the elapsed), and its slowest models and data tests. Where a
    nightly's time goes is a question of nodes, which the Dagster step's single figure does not
    answer."""
    # each dbt invocation writes its own target folder; the run's build is the newest since it began
    found = [path for path in dbt_target_dir().glob("*/run_results.json")
             if path.stat().st_mtime >= since]
    if not found:
        return {}
    results = json.loads(max(found, key=lambda path: path.stat().st_mtime).read_text(encoding="utf-8"))
    nodes = [(node["unique_id"], node["execution_time"]) for node in results["results"]]

    def by_time(prefix: str) -> list[tuple[str, float]]:
        # <type>.<project>.<name>[.<hash>]
        return sorted(((uid.split(".")[2], seconds) for uid, seconds in nodes if uid.startswith(prefix)),
                      key=lambda item: -item[1])

    models, tests = by_time("model."), by_time("test.")
    return {
        "elapsed": results["elapsed_time"],
        "models_seconds": sum(seconds for _, seconds in models),
        "tests_seconds": sum(seconds for _, seconds in tests),
        "slowest_models": dict(models[:slowest]),
        "slowest_tests": dict(tests[:slowest]),
    }


def funnel_run(home: Path, scale: Scale, label: str, settings: dict[str, str] | None = None) -> Measured:
    """``funnel run`` on ``home``, measured; ``settings``: FUNNEL_* variables to run it with."""
    since = time.time()
    measured = measure([str(Path(sys.executable).with_name("funnel")), "run"],
                       {**pipeline_env(home, scale), **(settings or {})}, home / f"{label}.log")
    if measured.returncode != 0:
        raise SystemExit(f"[{scale.name}] {label} failed (exit {measured.returncode}); see {home / f'{label}.log'}")
    measured.stages, measured.steps, measured.dagster_events = stage_seconds(home / "dagster_home", since)
    measured.dbt = dbt_timings(since)
    slowest = sorted(measured.steps.items(), key=lambda item: -item[1])[:6]
    print(f"[{scale.name}]   slowest steps: " + ", ".join(f"{key} {seconds:.0f} s" for key, seconds in slowest)
          + f"; Dagster's per-partition events {measured.dagster_events:.0f} s", flush=True)
    if measured.dbt:
        print(f"[{scale.name}]   dbt: {measured.dbt['elapsed']:.0f} s elapsed, models {measured.dbt['models_seconds']:.0f} s, "
              f"tests {measured.dbt['tests_seconds']:.0f} s; slowest: " + ", ".join(
                  f"{name} {seconds:.1f} s" for name, seconds in list(measured.dbt["slowest_models"].items())[:5]),
              flush=True)
    held = ", ".join(f"{kind} {mib:,.0f}" for kind, mib in measured.peak_rss_by_process_mib.items())
    print(f"[{scale.name}]   {measured.seconds:.1f} s, peak {measured.peak_rss_mib:,.0f} MiB ({held})", flush=True)
    return measured


def reference(landing: Path, log: Path) -> tuple[Measured, dict]:
    measured = measure([sys.executable, str(ROOT / "bench" / "reference.py"), str(landing)], dict(os.environ), log)
    if measured.returncode != 0:
        raise SystemExit(f"reference failed; see {log}")
    result = json.loads(log.read_text(encoding="utf-8"))
    measured.stages = {"transcode": result["transcode_seconds"], "sql": result["sql_seconds"]}
    return measured, result


def raw_rows(home: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        tables = conn.execute("SELECT schema_name || '.' || table_name FROM duckdb_tables() "
                              "WHERE schema_name LIKE 'raw_%' ORDER BY 1").fetchall()
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for (t,) in tables}


def published_changes(serving: Path) -> dict[str, dict[str, int]]:
    """What the nightly changed in each published table, from the two newest Parquet versions
    (the full build's and the nightly's): the table's rows, the rows of the nightly's version the
    full build's did not hold (new or changed) and those of the full build's it no longer holds
    (gone or changed). The nightly rebuilds most models over the whole history; this is how much
    of what they publish moved, the size an incremental nightly would work on."""
    import duckdb

    root = serving / "parquet"
    versions = sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))
    if len(versions) < 2:
        return {}
    from orchestration.lib.serving_store import parquet_tables

    before, after = (parquet_tables(version) for version in versions[-2:])
    changes: dict[str, dict[str, int]] = {}
    with duckdb.connect() as conn:
        conn.execute("SET enable_progress_bar = false")
        for name, path in after.items():
            if name == "publish_log":
                continue
            rows = conn.execute(f"SELECT count(*) FROM read_parquet({path!r})").fetchone()[0]
            try:
                added, gone = rows_apart(conn, _comparable(conn, path), _comparable(conn, before[name]))
            except (duckdb.Error, KeyError):  # new table, or its columns changed: every row is new
                added, gone = rows, 0
            changes[name] = {"rows": rows, "new_or_changed": added, "gone_or_changed": gone}
    return changes


def rows_apart(conn, left: str, right: str) -> tuple[int, int]:
    """How many rows of ``left`` are not in ``right`` and of ``right`` not in ``left`` (two
    relations in SQL, compared as multisets: a row twice on one side and once on the other counts)."""
    only_left = conn.execute(f"SELECT count(*) FROM (FROM {left} EXCEPT ALL FROM {right})").fetchone()[0]
    only_right = conn.execute(f"SELECT count(*) FROM (FROM {right} EXCEPT ALL FROM {left})").fetchone()[0]
    return only_left, only_right


def _comparable(conn, path: str) -> str:
    """The Parquet file (or a glob of parts) as a subquery whose floating-point columns are rounded
    to 9 decimals: a rate or mean is compared as a value, not as bits. (Before the marts summed
    means exactly, a parallel sum's order moved them in their last bits from one build of the same
    data to the next: three quarters of the rows of mart_response and mart_win_rate at L.)"""
    columns = conn.execute(f"DESCRIBE SELECT * FROM read_parquet({path!r})").fetchall()
    select = ", ".join(f'round("{name}", 9) AS "{name}"' if kind in ("DOUBLE", "FLOAT") else f'"{name}"'
                       for name, kind, *_ in columns)
    return f"(SELECT {select} FROM read_parquet({path!r}))"


def code_version() -> str:
    """The commit measured, marked ``+changes`` when the working tree's code differs from it (the
    results file itself, which the previous measurement may have changed, does not count)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if head.returncode != 0:
        return "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "orchestration",
                            "dbt_project", "expectations", "bench", ":(exclude)bench/results.json"],
                           cwd=ROOT, capture_output=True, text=True)
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def bench_scale(scale: Scale, data_dir: Path, work_dir: Path) -> dict:
    commit = code_version()
    landing_all = dataset(scale, data_dir, dict(os.environ))
    dates = delivery_dates(landing_all)
    home = work_dir / scale.name
    shutil.rmtree(home, ignore_errors=True)
    (home / "landing").mkdir(parents=True)
    land(landing_all, home / "landing", dates[:-1])
    print(f"[{scale.name}] full build: {len(dates) - 1} delivery days …", flush=True)
    full = funnel_run(home, scale, "full")
    land(landing_all, home / "landing", dates[-1:])
    print(f"[{scale.name}] incremental nightly: delivery {dates[-1]} …", flush=True)
    incremental = funnel_run(home, scale, "incremental")
    changes = published_changes(home / "serving")
    print(f"[{scale.name}]   {changes_summary(changes)}", flush=True)
    print(f"[{scale.name}] a night after a settings change: another mail domain of ours, nothing new …", flush=True)
    settings_change = funnel_run(home, scale, "settings_change", SETTINGS_CHANGE)
    settings_changes = published_changes(home / "serving")
    print(f"[{scale.name}]   {changes_summary(settings_changes, 'the settings change')}", flush=True)
    print(f"[{scale.name}] reference (DuckDB script over the landed files) …", flush=True)
    ref, ref_result = reference(home / "landing", home / "reference.json")
    print(f"[{scale.name}]   {ref.seconds:.1f} s, peak {ref.peak_rss_mib:,.0f} MiB", flush=True)
    rows = raw_rows(home)
    return {
        "scale": scale.name, "commit": commit, "customers": scale.customers, "days": scale.days, "delivery_days": len(dates),
        "raw_rows": sum(rows.values()), "raw_rows_by_table": rows, "reference_rows": ref_result["rows"],
        "full": asdict(full), "incremental": asdict(incremental), "settings_change": asdict(settings_change),
        "reference": asdict(ref),
        "published_changes": changes, "settings_change_published_changes": settings_changes,
        "full_over_reference": full.seconds / ref.seconds,
        "incremental_over_full": incremental.seconds / full.seconds,
    }


def table(results: list[dict]) -> str:
    """Markdown: per scale, the full build, the incremental nightly and the reference; "other" is
    the wall time outside the four stages (process start, finding new deliveries, run setup);
    "Dagster events" the part of the total Dagster spent storing its per-partition events."""
    lines = ["| scale | raw rows | run | total s | ingest s | dbt s | checks s | publish s | other s "
             "| of which Dagster events s | peak RSS MiB | ÷ reference | ÷ full |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        ref = r["reference"]["seconds"]
        for label in ("full", "incremental", "settings_change"):
            if label not in r:  # measured before the settings change was
                continue
            m = r[label]
            s = m["stages"]
            other = m["seconds"] - sum(s.values())
            events = f"{m['dagster_events']:.0f}" if m.get("dagster_events") else ""  # not measured before
            lines.append(f"| {r['scale']} | {r['raw_rows']:,} | {label.replace('_', ' ')} | {m['seconds']:.0f} | {s['ingest']:.0f} "
                         f"| {s['dbt']:.0f} | {s['checks']:.0f} | {s['publish']:.0f} | {other:.0f} | {events} "
                         f"| {m['peak_rss_mib']:,.0f} | {m['seconds'] / ref:.1f}× | {m['seconds'] / r['full']['seconds']:.2f} |")
        m = r["reference"]
        lines.append(f"| {r['scale']} | | reference | {ref:.0f} | | | | | | | {m['peak_rss_mib']:,.0f} | 1.0× | |")
    lines.append("")
    lines += [f"{r['scale']}: {changes_summary(r.get('published_changes', {}))}" for r in results]
    lines += [f"{r['scale']}: {changes_summary(r['settings_change_published_changes'], 'the settings change')}"
              for r in results if "settings_change_published_changes" in r]
    return "\n".join(lines)


def changes_summary(changes: dict[str, dict[str, int]], run: str = "the nightly", largest: int = 4) -> str:
    """One line: how many published rows ``run`` changed, in all and in the largest tables."""
    if not changes:
        return "published changes: not measured"
    rows = sum(c["rows"] for c in changes.values())
    moved = sum(c["new_or_changed"] + c["gone_or_changed"] for c in changes.values())
    biggest = sorted(changes.items(), key=lambda item: -item[1]["rows"])[:largest]
    # Over half of a table new: what depends on the as-of day (ages, alerts) moves every night.
    wholesale = sorted(name for name, c in changes.items() if c["rows"] and c["new_or_changed"] > c["rows"] / 2)
    return (f"{run} changed {moved:,} of {rows:,} published rows ({moved / max(rows, 1):.2%}); "
            + ", ".join(f"{name} {c['new_or_changed'] + c['gone_or_changed']:,} of {c['rows']:,}"
                        for name, c in biggest)
            + f"; over half new: {', '.join(wholesale) or 'none'}")


def _save(out: Path, results: list[dict]) -> list[dict]:
    """Write ``results`` into ``out``, keeping the saved results of other scales; returns all, S→L."""
    saved = json.loads(out.read_text())["results"] if out.exists() else []
    scales = {r["scale"] for r in results}
    merged = sorted([r for r in saved if r["scale"] not in scales] + results, key=lambda r: list(SCALES).index(r["scale"]))
    out.write_text(json.dumps({"machine": {"cpus": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30)},
                               "date": date.today().isoformat(), "results": merged}, indent=1))
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="S,M", help="comma-separated: S, M, L (default S,M)")
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / ".data", help="generated datasets (reused)")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / ".work", help="homes of the measured runs")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json",
                        help="JSON results; other scales already in it are kept")
    parser.add_argument("--table", action="store_true", help="only print the table of the results in --out")
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(args.out.read_text())["results"]))
        return
    results: list[dict] = []
    for name in args.scales.split(","):
        results.append(bench_scale(SCALES[name.strip().upper()], args.data, args.work))
        merged = _save(args.out, results)
    print()
    print(table(merged))
    print(f"\nJSON: {args.out}")


if __name__ == "__main__":
    main()
