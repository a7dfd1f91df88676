"""How dbt nodes appear in Dagster: groups by layer, kinds, and the published tag."""

from collections.abc import Mapping
from typing import Any

from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

# models/<folder>/… → Dagster group; seeds and the time spine (utilities) are configuration.
_LAYER_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "core", "utilities": "config"}


class FunnelDbtTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "config"
        fqn = dbt_resource_props.get("fqn", [])
        if len(fqn) > 2 and fqn[1] == "marts" and fqn[2] == "kpi":
            return "kpi"
        return _LAYER_GROUPS.get(fqn[1] if len(fqn) > 1 else "", "dbt")
