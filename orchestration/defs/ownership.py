"""Who owns which layer, and the tags every asset carries: one place for the whole code location.

Owners are Dagster team owners (shown and filterable in the UI's asset catalog); change them here
to your own teams. The data platform team owns ingestion and modelling; the KPI marts and their
publication are shared with sales operations, who answer for what the numbers mean.
"""

from __future__ import annotations

PLATFORM = "team:data-platform"
SALES_OPS = "team:sales-ops"

_OWNERS_BY_GROUP = {
    "ingest": [PLATFORM],
    "staging": [PLATFORM],
    "intermediate": [PLATFORM],
    "core": [PLATFORM],
    "config": [PLATFORM, SALES_OPS],  # stage maps, SLA minutes, grade rules: business settings
    "kpi": [PLATFORM, SALES_OPS],
    "publish": [PLATFORM, SALES_OPS],
}


def owners_for(group: str) -> list[str]:
    return list(_OWNERS_BY_GROUP.get(group, [PLATFORM]))


def tags_for(group: str, source: str | None = None) -> dict[str, str]:
    """``layer`` (the group) and, for source-specific assets, ``source``: filters in the UI."""
    tags = {"layer": group}
    if source:
        tags["source"] = source
    return tags
