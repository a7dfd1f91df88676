"""`funnel ui` (dagster dev) on the sample: the webserver and daemon start, the graph, checks,
schedule and sensors are there and on, and a materialization launched through the webserver's
GraphQL API runs in the daemon's launcher and publishes."""

import os
import signal
import socket
import subprocess
import time

import duckdb

from conftest import BIN, PROJECT_ROOT, command_env
from orchestration.webserver import LOCATION, REPOSITORY, graphql, wait_for_location


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


REPOSITORY_QUERY = """
query ($selector: RepositorySelector!) {
  repositoryOrError(repositorySelector: $selector) {
    ... on Repository {
      schedules { name cronSchedule executionTimezone scheduleState { status } }
      sensors { name sensorState { status } }
      assetNodes { assetKey { path } groupName hasAssetChecks }
    }
  }
}"""

CHECKS_QUERY = """
query ($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) {
    ... on AssetNode { assetChecksOrError { ... on AssetChecks { checks { name blocking } } } }
  }
}"""

LAUNCH = """
mutation ($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}"""

SENSOR_TICKS = """
query ($s: SensorSelector!) {
  sensorOrError(sensorSelector: $s) { ... on Sensor { sensorState { ticks(limit: 5) { status } } } }
}"""

RUN_STATUS = "query ($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"


def test_dagster_dev_serves_the_graph_and_runs_a_materialization_launched_through_its_api(copied_home):
    port = _free_port()
    env = command_env(copied_home)
    process = subprocess.Popen([str(BIN / "funnel"), "ui", "--port", str(port)], cwd=PROJECT_ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_location(port, process)
        selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
        repository = graphql(port, REPOSITORY_QUERY, {"selector": selector})["repositoryOrError"]

        schedules = {s["name"]: s for s in repository["schedules"]}
        nightly = schedules["nightly_funnel_0200_shanghai"]
        assert (nightly["cronSchedule"], nightly["executionTimezone"]) == ("0 2 * * *", "Asia/Shanghai")
        assert nightly["scheduleState"]["status"] == "RUNNING"
        sensors = {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]}
        assert {name: sensors.get(name) for name in ("new_deliveries", "alert_on_failed_runs", "source_freshness")} \
            == dict.fromkeys(("new_deliveries", "alert_on_failed_runs", "source_freshness"), "RUNNING")

        groups = {}
        for node in repository["assetNodes"]:
            groups.setdefault(node["groupName"], []).append(node["assetKey"]["path"])
        assert set(groups) >= {"ingest", "staging", "core", "kpi", "publish"}
        assert ["marts", "mart_stage_conversion"] in groups["kpi"]
        checks = graphql(port, CHECKS_QUERY, {"key": {"path": ["marts", "mart_stage_conversion"]}})
        names = {c["name"]: c["blocking"] for c in checks["assetNodeOrError"]["assetChecksOrError"]["checks"]}
        assert names["gx_mart_stage_conversion"] is True and len(names) > 3

        # Publish the audited marts through the API, as the UI's "Materialize" button does.
        params = {"selector": {**selector, "jobName": "nightly_funnel",
                               "assetSelection": [{"path": ["serving", "published_marts"]}]},
                  "mode": "default"}
        launched = graphql(port, LAUNCH, {"params": params})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]
        deadline, status = time.monotonic() + 300, None
        while time.monotonic() < deadline:
            status = graphql(port, RUN_STATUS, {"id": run_id})["runOrError"]["status"]
            if status in ("SUCCESS", "FAILURE", "CANCELED"):
                break
            time.sleep(2)
        assert status == "SUCCESS"
        with duckdb.connect(str(copied_home.serving), read_only=True) as conn:
            published_by = {row[0] for row in conn.execute("SELECT DISTINCT run_id FROM publish_log").fetchall()}
        assert run_id in published_by
        # The delivery sensor's first tick saw every delivery as already loaded by `funnel demo`:
        # it skipped, and launched no ingest run.
        deadline, ticks = time.monotonic() + 180, []
        while time.monotonic() < deadline and not ticks:
            sensor = graphql(port, SENSOR_TICKS, {"s": {**selector, "sensorName": "new_deliveries"}})
            ticks = [t["status"] for t in sensor["sensorOrError"]["sensorState"]["ticks"] if t["status"] != "STARTED"]
            time.sleep(2)
        assert ticks and set(ticks) == {"SKIPPED"}, ticks
        ingest_runs = graphql(port, '{ runsOrError(filter: {pipelineName: "ingest_deliveries"}) '
                                     '{ ... on Runs { results { runId tags { key value } } } } }')
        launched_by_sensor = [r for r in ingest_runs["runsOrError"]["results"]
                              if any(t["key"] == "dagster/sensor_name" for t in r["tags"])]
        assert launched_by_sensor == []
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
