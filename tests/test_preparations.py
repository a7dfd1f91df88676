"""Work a later step needs is done while the dbt step waits for dbt (orchestration/lib/preparations.py)."""

import subprocess
import sys

import dagster as dg

# In a fresh interpreter: this one may have imported GX already.
_SETUP_THEN_PREPARE = """
import sys
import dagster as dg
from orchestration.defs.quality import checks
from orchestration.lib import preparations
assert "great_expectations" not in sys.modules, "the checks' module imports GX itself"
with dg.build_resources({"gx": checks.GreatExpectationsResource()}):
    assert "great_expectations" not in sys.modules, "setting up the resource imported GX on the spot"
    assert preparations.run_preparations() == ["import great_expectations"]
    assert hasattr(sys.modules["great_expectations"], "get_context")
with dg.build_resources({"gx": checks.GreatExpectationsResource()}):
    pass
assert preparations.run_preparations() == ["import great_expectations"]  # asked for again by a later run
assert preparations.run_preparations() == []
print("ok")
"""


def test_the_gx_resource_asks_for_the_import_and_the_preparations_do_it_once():
    done = subprocess.run([sys.executable, "-c", _SETUP_THEN_PREPARE], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_a_preparation_that_fails_is_reported_not_raised(monkeypatch):
    from orchestration.lib import preparations

    # this process's own pending work (a run of another test may have asked for some) stays apart
    monkeypatch.setattr(preparations, "_PENDING", {})

    def broken():
        raise ImportError("no module named great_expectations")

    preparations.prepare_while_waiting("import great_expectations", broken)
    preparations.prepare_while_waiting("import great_expectations", lambda: None)  # asked for twice: once
    assert preparations.run_preparations() == [
        "import great_expectations: failed (ImportError: no module named great_expectations); "
        "left to the step that needs it"]
    assert preparations.run_preparations() == []


def test_the_nightly_run_imported_gx_while_dbt_started(demo):
    """The sample's nightly run: its GX step asks for the resource, and its dbt step did the import."""
    from orchestration.definitions import defs

    assert "gx" in defs.resolve_job_def("nightly_funnel").required_resource_keys
    with dg.DagsterInstance.from_config(str(demo.home.dagster_home)) as instance:
        (nightly,) = instance.get_run_records(dg.RunsFilter(job_name="nightly_funnel"), limit=1)
        messages = [(record.step_key, record.user_message) for record in instance.all_logs(nightly.dagster_run.run_id)]
    assert ("funnel_dbt_models", "Prepared while dbt started: import great_expectations") in messages
