"""Every published table has an enforced dbt contract, and the serving store BI tools read has
exactly the contracted columns, in order, with the contracted types."""

import json
import re
from pathlib import Path

import duckdb

from orchestration.defs.dbt.project import dbt_project


def _published_nodes() -> dict[str, dict]:
    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and "published" in node["tags"]
    }


def _normalised(data_type: str) -> str:
    return re.sub(r"\s+", "", data_type.lower())


def test_every_published_model_enforces_a_contract_on_every_column():
    nodes = _published_nodes()
    assert {"dim_customer", "bridge_customer_source_record", "fct_touchpoints", "fct_stage_transitions",
            "mart_stage_conversion"} <= set(nodes)
    for name, node in nodes.items():
        assert node["config"]["contract"]["enforced"], name
        untyped = [column for column, spec in node["columns"].items() if not spec.get("data_type")]
        assert not untyped, f"{name}: columns without data_type {untyped}"


def test_the_serving_store_matches_the_contracts_column_for_column(demo):
    nodes = _published_nodes()
    with duckdb.connect(str(demo.home.serving), read_only=True) as conn:
        published = {row[0] for row in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert published == set(nodes) | {"publish_log"}
        for name, node in nodes.items():
            actual = conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [name]).fetchall()
            expected = [(column, spec["data_type"]) for column, spec in node["columns"].items()]
            assert [(c, _normalised(t)) for c, t in actual] == [(c, _normalised(t)) for c, t in expected], name
