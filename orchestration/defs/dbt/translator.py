"""How dbt nodes appear in Dagster: groups by layer, owners, layer and source tags, kinds, and the
published tag. Code versions are dagster-dbt's (the checksum of each node's SQL)."""

from collections.abc import Mapping
from typing import Any

from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from orchestration.defs.ownership import owners_for, tags_for

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

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return owners_for(self.get_group_name(dbt_resource_props))

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        fqn = dbt_resource_props.get("fqn", [])
        # models/staging/<source>/stg_<source>__<entity>: the source system is the folder.
        source = fqn[2] if len(fqn) > 3 and fqn[1] == "staging" else None
        return {**super().get_tags(dbt_resource_props), **tags_for(self.get_group_name(dbt_resource_props), source)}
