"""The dbt unit tests (given rows → expected rows, one or more per formula) pass.

The nightly build leaves them out (they check the SQL, not the data), so this is where they run:
`dbt test --select test_type:unit` on a copy of the demo warehouse, whose tables give the
unit tests the column types of their inputs."""

from __future__ import annotations

import json

from conftest import dbt


def test_every_dbt_unit_test_runs_and_passes(copied_home, tmp_path):
    target = tmp_path / "target"
    done = dbt("test", "--select", "test_type:unit", target=target, home=copied_home)
    assert done.returncode == 0, done.stdout[-4000:]
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    declared = {uid for uid in manifest["unit_tests"]}
    # run_results also lists the project's on-run-end hook (an `operation.` node)
    results = [r for r in json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
               if r["unique_id"].startswith("unit_test.")]
    assert {r["unique_id"] for r in results} == declared
    assert len(declared) >= 40
    assert {r["status"] for r in results} == {"pass"}


def test_the_nightly_build_leaves_the_unit_tests_out(demo):
    """The demo's nightly dbt step (its log is in the home's logs/) built models and ran data
    tests, and no unit test."""
    logs = "".join(log.read_text(encoding="utf-8") for log in (demo.home.root / "logs").glob("funnel_*.log"))
    assert " START sql table model " in logs and " START test " in logs
    assert " START unit_test " not in logs
