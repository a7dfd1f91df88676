"""Each `funnel` command, run for real (the installed entry point, in a subprocess) on the sample.

`demo` is the session fixture; `run` on a failing night and `backfill` are exercised in
test_gate_and_rerun.py, where they must refuse to publish."""


import duckdb

from conftest import funnel
from orchestration.generator import read_manifest
from orchestration.lib.serving_store import current_version


def test_generate_writes_the_same_bytes_for_the_same_seed(tmp_path):
    first = funnel("generate", "--out", str(tmp_path / "a"), "--customers", "20", "--days", "10", "--quiet")
    second = funnel("generate", "--out", str(tmp_path / "b"), "--customers", "20", "--days", "10", "--quiet")

    assert first.returncode == second.returncode == 0, first.stderr
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b and any(str(p).startswith("crm/") for p in files_a)
    assert all((tmp_path / "a" / p).read_bytes() == (tmp_path / "b" / p).read_bytes() for p in files_a)
    assert read_manifest(tmp_path / "a")["journeys"] > 0


def test_status_report_and_publish_on_the_demo_home(copied_home):
    before = current_version(copied_home.serving)

    status = funnel("status", home=copied_home)
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"version {before['version']} from run {before['run_id']}" in status.stdout
    assert "nightly_funnel     SUCCESS" in status.stdout and "Overall: OK" in status.stdout
    newest = max(p.name for p in (copied_home.landing / "crm").iterdir())
    assert f"crm      STALE newest delivery {newest}" in status.stdout  # the sample is from 2025–26

    path = funnel("report", "--path", home=copied_home)
    text = funnel("report", home=copied_home)
    assert path.returncode == text.returncode == 0
    assert text.stdout.strip() == (copied_home.serving.parent / "quality_report.md").read_text(encoding="utf-8").strip()
    assert path.stdout.strip() == str(copied_home.serving.parent / "quality_report.md")
    assert text.stdout.startswith(f"# Quality report — run {before['run_id']}")

    # Re-publishing what the last audited build holds: a new version, carrying the publish run's id.
    published = funnel("publish", home=copied_home)
    assert published.returncode == 0, published.stdout + published.stderr
    after = current_version(copied_home.serving)
    assert after["version"] != before["version"] and after["run_id"] != before["run_id"]
    assert f"Published version {after['version']} (run {after['run_id']})" in published.stdout
    with duckdb.connect(str(copied_home.serving), read_only=True) as conn:
        runs = {row[0] for row in conn.execute("SELECT DISTINCT run_id FROM publish_log").fetchall()}
    assert runs == {before["run_id"], after["run_id"]}

    # The publish-only run is now the last nightly_funnel run; status says it published.
    again = funnel("status", home=copied_home)
    assert again.returncode == 0 and f"from run {after['run_id']}" in again.stdout


def test_score_prints_identity_accuracy_against_the_ground_truth(demo):
    scored = funnel("score", home=demo.home)
    assert scored.returncode == 0, scored.stderr
    precision = float(next(line for line in scored.stdout.splitlines() if line.startswith("pairwise precision")).split()[2])
    assert 0.95 <= precision <= 1.0


def test_mistakes_get_one_line_errors_and_non_zero_exits(demo, tmp_path):
    reversed_range = funnel("backfill", "--from", "2026-01-05", "--to", "2026-01-01", home=demo.home)
    assert reversed_range.returncode == 2
    assert "--from 2026-01-05 is after --to 2026-01-01" in reversed_range.stderr

    not_a_date = funnel("backfill", "--from", "yesterday", "--to", "2026-01-01", home=demo.home)
    assert not_a_date.returncode == 2 and "'yesterday' does not match the format '%Y-%m-%d'" in not_a_date.stderr

    unknown_run = funnel("report", "--run", "no-such-run", home=demo.home)
    assert unknown_run.returncode == 1
    assert unknown_run.stderr.strip().splitlines() == [
        f"Error: no quality report at {demo.home.serving.parent / 'reports' / 'quality_no-such-run.md'}: "
        "no run with that id wrote one"]

    # An empty home: nothing to run, nothing to report, status unhealthy — each says what to do.
    from conftest import Home

    empty = Home(tmp_path / "empty")
    (empty.landing).mkdir(parents=True)
    run = funnel("run", home=empty)
    assert run.returncode == 1 and "Error: no deliveries in" in run.stderr and "funnel generate" in run.stderr
    report = funnel("report", home=empty)
    assert report.returncode == 1 and "run `funnel run` (or `funnel demo`) first" in report.stderr
    status = funnel("status", home=empty)
    assert status.returncode == 1 and "nothing published yet" in status.stdout
    assert not any("Traceback" in out for out in (run.stderr, report.stderr, status.stderr))


def test_a_dot_env_file_in_the_working_folder_configures_the_cli(demo, tmp_path):
    import os
    import subprocess

    from conftest import BIN

    (tmp_path / ".env").write_text(f"FUNNEL_HOME={demo.home.root}\nDAGSTER_HOME=${{FUNNEL_HOME}}/dagster_home\n",
                                   encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUNNEL_", "DAGSTER_"))}
    completed = subprocess.run([str(BIN / "funnel"), "status"], cwd=tmp_path, env=env, capture_output=True,
                               text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"from run {current_version(demo.home.serving)['run_id']}" in completed.stdout
