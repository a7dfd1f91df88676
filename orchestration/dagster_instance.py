"""The ``dagster.yaml`` of a Dagster home that ``funnel`` prepares.

It turns telemetry off (no phoning home from a pipeline that handles customer data) and stores
events with ``PooledSqliteEventLogStorage`` (``orchestration.lib.event_log_storage``): Dagster's
SQLite event log, with connections kept instead of opened for every event. Dagster takes the
storage's folder as an absolute path, so the file is written again whenever the home it names
is not the one it lies in (a copied or moved home). A ``dagster.yaml`` without the first line
below is the user's own and is left alone.
"""

from __future__ import annotations

import json
from pathlib import Path

MARKER = "# Written by funnel for this Dagster home; delete this line to keep your own configuration."
# What funnel wrote before it configured the event log: replaced like its own file.
_EARLIER_DEFAULT = "telemetry:\n  enabled: false\n"


def instance_config(dagster_home: Path) -> str:
    events = (dagster_home / "history" / "runs").resolve()
    return (f"{MARKER}\n"
            "telemetry:\n"
            "  enabled: false\n"
            "event_log_storage:\n"
            "  module: orchestration.lib.event_log_storage\n"
            "  class: PooledSqliteEventLogStorage\n"
            "  config:\n"
            f"    base_dir: {json.dumps(str(events))}\n")  # a JSON string is a YAML string


def write_instance_config(dagster_home: Path) -> Path:
    """Write ``dagster_home/dagster.yaml`` unless the user's own is there; returns its path."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    current = config.read_text(encoding="utf-8") if config.exists() else None
    wanted = instance_config(dagster_home)
    if current != wanted and (current is None or current == _EARLIER_DEFAULT or current.startswith(MARKER)):
        config.write_text(wanted, encoding="utf-8")
    return config
