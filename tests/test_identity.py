"""The single customer view on real runs: a junk key merges nobody, probabilistic links carry
their explanation and can be turned off. (Key stability across runs is checked with the re-run in
test_gate_and_rerun.)"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from conftest import dbt
from orchestration.generator.formats import SF_LEAD
from orchestration.lib.record_linkage import (LINKS_SCHEMA, LinkageSettings, kept_model, link_pairs, train_model,
                                              week_of_latest)
from orchestration.runs import ingest_partitions, run_nightly

JUNK_PHONE = "13912345678"
JUNK_LEADS = 500


def _write_junk_delivery(landing, delivery: str, activity: str) -> list[str]:
    """500 unrelated people whose web form all carry the same front-desk phone."""
    folder = landing / "crm" / delivery
    folder.mkdir(parents=True)
    ids = [f"00Q9z{n:010d}" for n in range(JUNK_LEADS)]
    with open(folder / f"Lead_{activity.replace('-', '')}.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=SF_LEAD, restval="", lineterminator="\r\n")
        writer.writeheader()
        for n, lead_id in enumerate(ids):
            writer.writerow({"Id": lead_id, "FirstName": f"名{n}", "LastName": "测", "Company": f"测试{n}号科技有限公司",
                             "Email": f"junk{n}@example{n}.cn", "Phone": JUNK_PHONE, "LeadSource": "Web",
                             "Status": "Open - Not Contacted", "Rating": "Warm", "OwnerId": "0055g00000AbC001",
                             "CreatedDate": f"{activity}T0{n % 10}:00:00.000+0000", "IsConverted": "false"})
    return [f"crm:lead:{lead_id}" for lead_id in ids]


def test_a_phone_shared_by_500_records_merges_none_of_them(copied_home):
    records = _write_junk_delivery(copied_home.landing, "2026-01-02", "2026-01-01")
    instance = dg.DagsterInstance.ephemeral()
    assert ingest_partitions(instance, "2026-01-02", "2026-01-02").success
    nightly = run_nightly(instance)
    assert nightly.success

    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        keys = conn.execute(
            "SELECT count(DISTINCT customer_key), count(*) FROM marts.bridge_customer_source_record"
            " WHERE list_contains(?, record_id)", [records]).fetchone()
        junk = conn.execute(
            "SELECT key_type, records FROM intermediate.int_identity__junk_keys WHERE key_value = '+86' || ?",
            [JUNK_PHONE]).fetchall()
        largest = conn.execute("SELECT max(member_records) FROM marts.dim_customer").fetchone()[0]
    assert keys == (JUNK_LEADS, JUNK_LEADS)  # each lead its own customer
    assert junk == [("mobile", JUNK_LEADS)]  # reported, with how many records carry it
    assert largest < JUNK_LEADS
    # The junk key shows as a warning check in the run, not as a silent drop.
    warned = [e for e in nightly.get_asset_check_evaluations() if e.check_name == "no_junk_identity_keys"]
    assert warned and not warned[0].passed and warned[0].severity == dg.AssetCheckSeverity.WARN


def test_probabilistic_links_explain_themselves(demo):
    with duckdb.connect(str(demo.home.warehouse), read_only=True) as conn:
        links = conn.execute(
            "SELECT match_weight, weight_person_name + weight_company + weight_seen_at + weight_rep_id + prior_weight,"
            " match_probability, is_link, explanation FROM intermediate.int_identity__probabilistic_links").fetchall()
        linked_in_graph = conn.execute(
            "SELECT count(*) FROM intermediate.int_identity__probabilistic_links AS links"
            " JOIN intermediate.int_identity__components AS l ON l.record_id = links.record_id_l"
            " JOIN intermediate.int_identity__components AS r ON r.record_id = links.record_id_r"
            " WHERE links.is_link AND l.customer_key <> r.customer_key").fetchone()[0]
    assert any(is_link for *_, is_link, _ in links)
    for total, parts, probability, is_link, explanation in links:
        assert abs(total - parts) < 1e-9  # the weights add up to the total
        assert abs(probability - 2 ** total / (1 + 2 ** total)) < 1e-9
        assert is_link == (probability >= 0.99)
        assert explanation.startswith("person_name ") and "prior" in explanation
    assert linked_in_graph == 0  # every accepted link joins its two records into one customer


def test_probabilistic_matching_can_be_turned_off(copied_home, monkeypatch):

    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        customers_with_matching = conn.execute("SELECT count(*) FROM marts.dim_customer").fetchone()[0]
    monkeypatch.setenv("FUNNEL_PROBABILISTIC_MATCHING", "false")
    completed = dbt("build", "--select", "int_identity__linkage_model+", "--log-path",
                    str(copied_home.root / "dbt_logs"), target=copied_home.root / "dbt_target", timeout=600)
    assert completed.returncode == 0, completed.stdout[-3000:]
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        links = conn.execute("SELECT count(*) FROM intermediate.int_identity__probabilistic_links").fetchone()[0]
        customers = conn.execute("SELECT count(*) FROM marts.dim_customer").fetchone()[0]
    assert links == 0
    # Records only the matcher could join fall apart again: more, smaller customers.
    assert customers > customers_with_matching


def test_too_few_records_to_learn_from_propose_no_links():
    when = dt.datetime(2025, 7, 1, tzinfo=dt.timezone.utc)
    features = pa.table({"record_id": ["a", "b"], "person_name": ["陈建华", "陈建华"], "company_norm": [None, None],
                         "company_hint": ["同辉华通", "同辉华通"], "rep_id": ["r1", "r1"], "seen_at": [when, when]})
    model = train_model(features, cfg=LinkageSettings(min_records=3))
    assert model.num_rows == 1 and model["model_json"][0].as_py() is None
    links = link_pairs(features, model)
    assert links.num_rows == 0 and links.schema == LINKS_SCHEMA


def _warehouse_table(home, table: str) -> pa.Table:
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        return conn.sql(f"SELECT * FROM {table}").to_arrow_table()


def _sorted_pairs(links: pa.Table) -> list[dict]:
    return sorted(links.to_pylist(), key=lambda pair: (pair["record_id_l"], pair["record_id_r"]))


def test_a_block_keeps_its_pairs_only_while_scoring_it_again_would_give_them(demo, caplog):
    features = _warehouse_table(demo.home, "intermediate.int_identity__match_features")
    model = _warehouse_table(demo.home, "intermediate.int_identity__linkage_model")
    fresh = link_pairs(features, model)  # every block scored
    days = json.loads(model["settings_json"][0].as_py())["max_days_apart"]
    seen = dict(zip(features["record_id"].to_pylist(), features["seen_at"].to_pylist()))

    def window(record: str) -> int:
        return int(seen[record].timestamp() // (86400 * days))

    # A link across two windows, of two records served by the same rep: it belongs to the earlier
    # record's block, which only knows of the later record through the next window's fingerprint.
    later = next(max(pair["record_id_l"], pair["record_id_r"], key=seen.get) for pair in _sorted_pairs(fresh)
                 if pair["is_link"] and pair["weight_rep_id"] > 0
                 and window(pair["record_id_l"]) != window(pair["record_id_r"]))
    last_day = pc.max(features["seen_at"]).as_py() - dt.timedelta(days=1)

    # What an earlier run saw: the last day not yet delivered, and that later record with another rep.
    earlier = features.filter(pc.less(features["seen_at"], pa.scalar(last_day, features.schema.field("seen_at").type)))
    reps = [("another-rep" if record == later else rep) for record, rep in
            zip(earlier["record_id"].to_pylist(), earlier["rep_id"].to_pylist())]
    earlier = earlier.set_column(earlier.schema.get_field_index("rep_id"), "rep_id", pa.array(reps))
    before = link_pairs(earlier, model)
    assert _sorted_pairs(before) != _sorted_pairs(fresh)

    with caplog.at_level("INFO", logger="orchestration.lib.record_linkage"):
        reused = link_pairs(features, model, previous=before)
    assert _sorted_pairs(reused) == _sorted_pairs(fresh)  # bit for bit, weights and explanation included
    scored, unchanged = map(int, re.search(r"(\d+) blocks scored, (\d+) unchanged", caplog.text).groups())
    # Scored again: the changed record's block and the one before it, the last day's and the one
    # before it (and any block that had no pair to carry its fingerprint); every other block kept.
    assert scored >= 2 and unchanged >= len(set(fresh["block_window"].to_pylist())) - 4


def test_the_weekly_model_is_kept_through_its_week(demo):
    features = _warehouse_table(demo.home, "intermediate.int_identity__match_features")
    model = _warehouse_table(demo.home, "intermediate.int_identity__linkage_model")
    trained_through = model["trained_through"][0].as_py()
    assert model["model_json"][0].as_py() is not None
    trained = pc.less(features["seen_at"], pa.scalar(trained_through, features.schema.field("seen_at").type))
    assert trained_through.weekday() == 0 and model["training_records"][0].as_py() == pc.sum(trained).as_py()
    frequencies = {row["person_name"]: row["tf_person_name"] for row in model["name_frequencies"][0].as_py()}
    names = [name for name in features["person_name"].to_pylist() if name]  # among all records
    assert frequencies == {name: names.count(name) / len(names) for name in set(names)}

    def record(seen_at: dt.datetime) -> pa.Table:
        return pa.table({"record_id": ["crm:lead:new"], "person_name": ["新客户"], "company_norm": [None],
                         "company_hint": [None], "rep_id": [None], "seen_at": [seen_at]}, schema=features.schema)

    # The same week: a new record, and an older record handed to another rep. The week's model stays.
    settings = LinkageSettings(**json.loads(model["settings_json"][0].as_py()))
    reps = features["rep_id"].to_pylist()
    reps[trained.to_pylist().index(True)] = "another-rep"
    this_week = pa.concat_tables([features.set_column(features.schema.get_field_index("rep_id"), "rep_id",
                                                      pa.array(reps)), record(trained_through + dt.timedelta(days=1))])
    kept = train_model(this_week, previous=model, cfg=settings)
    assert kept.to_pylist() == model.to_pylist()

    # The next week: a new model, learnt from everything first seen before it.
    next_week = pa.concat_tables([features, record(trained_through + dt.timedelta(days=8))])
    retrained = train_model(next_week, previous=model, cfg=settings)
    assert retrained["trained_through"][0].as_py() == trained_through + dt.timedelta(days=7)
    assert retrained["training_records"][0].as_py() > model["training_records"][0].as_py()
    assert retrained["trained_at"][0].as_py() > model["trained_at"][0].as_py()

    # The dbt model decides the same in the warehouse, before it reads any record.
    with duckdb.connect() as conn:
        assert kept_model(model, week_of_latest(conn.from_arrow(this_week)), settings).to_pylist() == model.to_pylist()
        assert kept_model(model, week_of_latest(conn.from_arrow(next_week)), settings) is None
