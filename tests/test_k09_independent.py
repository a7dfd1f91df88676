"""K09 stage conversion as published, against a second implementation in plain pandas that
reads the delivered Salesforce CSVs directly (not the warehouse, not the project's SQL)."""

import math

import duckdb
import pandas as pd

from conftest import PROJECT_ROOT

STAGE_ORDER = {"lead": 1, "intent": 2, "proposal": 3, "negotiation": 4, "won": 5}


def _seed(name: str) -> pd.DataFrame:
    return pd.read_csv(PROJECT_ROOT / "dbt_project" / "seeds" / f"{name}.csv", dtype=str, keep_default_na=False)


def _created(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="%Y-%m-%dT%H:%M:%S.%f%z", errors="coerce", utc=True)


def expected_k09(crm_delivery) -> dict[tuple[str, str, int], tuple[int, int]]:
    read = lambda name: pd.read_csv(crm_delivery / name, dtype=str, keep_default_na=False)  # noqa: E731
    leads, opps, history = read("Lead.csv"), read("Opportunity.csv"), read("OpportunityHistory.csv")
    stage_map = _seed("stage_map").query("source_system == 'salesforce_opportunity'")
    to_canonical = dict(zip(stage_map.source_stage, stage_map.canonical_stage))
    channels = _seed("channel_map").query("source_system == 'salesforce'")
    to_channel = dict(zip(channels.source_value, channels.channel))

    history["order"] = history.StageName.map(to_canonical).map(STAGE_ORDER)
    furthest_by_opp = history.groupby("OpportunityId")["order"].max().to_dict()

    # Rows the contract rejects (no Id, unparseable CreatedDate) are not leads.
    leads["created"] = _created(leads.CreatedDate)
    leads = leads[(leads.Id != "") & leads.created.notna()]
    converted = set(leads.ConvertedOpportunityId) - {""}

    journeys = []
    for lead in leads.itertuples():
        furthest = furthest_by_opp.get(lead.ConvertedOpportunityId, float("nan"))
        journeys.append((lead.created, lead.LeadSource, furthest))
    opps["created"] = _created(opps.CreatedDate)
    for opp in opps[~opps.Id.isin(converted)].itertuples():
        journeys.append((opp.created, opp.LeadSource, furthest_by_opp.get(opp.Id, float("nan"))))

    counts: dict[tuple[str, str, int], list[int]] = {}
    for created, source, furthest in journeys:
        reached = 1 if math.isnan(furthest) else max(1, int(furthest))
        cohort = created.tz_convert("Asia/Shanghai").strftime("%Y-%m-01")
        channel = to_channel.get(source, source or "unknown")
        for step in range(1, 5):
            cell = counts.setdefault((cohort, channel, step), [0, 0])
            cell[0] += reached >= step + 1
            cell[1] += reached >= step
    return {key: (num, den) for key, (num, den) in counts.items()}


def test_published_k09_equals_independent_computation(demo):
    expected = expected_k09(demo.home.delivery("crm"))
    with duckdb.connect(str(demo.home.serving), read_only=True) as conn:
        rows = conn.execute(
            "SELECT strftime(cohort_month, '%Y-%m-%d'), channel, step, reached_to_count, "
            "reached_from_count, stage_conversion_rate FROM mart_stage_conversion"
        ).fetchall()
    published = {(c, ch, s): (num, den) for c, ch, s, num, den, _ in rows}
    assert published == expected
    for _, _, _, num, den, rate in rows:
        if den == 0:
            assert rate is None
        else:
            assert abs(rate - num / den) < 1e-12
    # The sample exercises the rules that matter: several cohorts and channels, and skipped stages.
    assert len({key[0] for key in expected}) >= 5 and len({key[1] for key in expected}) >= 5


def test_sample_contains_skipped_stages_counted_as_reached(demo):
    history = pd.read_csv(demo.home.delivery("crm") / "OpportunityHistory.csv", dtype=str)
    stages = history.groupby("OpportunityId").StageName.apply(set)
    skipped_proposal = stages[stages.apply(lambda s: "Negotiation/Review" in s and not s & {"Proposal/Price Quote", "Value Proposition"})]
    assert len(skipped_proposal) > 0
    with duckdb.connect(str(demo.home.warehouse), read_only=True) as conn:
        orders = conn.execute(
            "SELECT max_stage_order FROM intermediate.int_funnel_journeys WHERE opportunity_id IN "
            f"({','.join(repr(o) for o in skipped_proposal.index)})"
        ).fetchall()
    assert orders and all(order >= 4 for (order,) in orders)
