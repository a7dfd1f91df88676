"""Talking to a running Dagster webserver (`funnel ui` / `dagster dev`): its GraphQL API and the
wait for the code location to load. Used by the UI test and by scripts/ui_check.py."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request

LOCATION = "sales_funnel"
REPOSITORY = "__repository__"

_LOCATIONS = "{ workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError { __typename } } } } }"


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    """The ``data`` of one GraphQL request; raises on GraphQL errors."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return body["data"]


def wait_for_location(port: int, process: subprocess.Popen, timeout: float = 300) -> None:
    """Block until the code location has loaded; fail fast if it failed or the server exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dagster dev exited with code {process.returncode}")
        try:
            entries = graphql(port, _LOCATIONS)["workspaceOrError"]["locationEntries"]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            entries = []
        states = {e["name"]: (e["locationOrLoadError"] or {}).get("__typename") for e in entries}
        if states.get(LOCATION) == "RepositoryLocation":
            return
        if states.get(LOCATION) == "PythonError":
            raise RuntimeError(f"code location {LOCATION} failed to load: {entries}")
        time.sleep(2)
    raise TimeoutError(f"code location {LOCATION} did not load within {timeout:.0f} s")
