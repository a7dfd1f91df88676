"""Probabilistic identity links (Splink): candidate pairs of person records with their match
probability and the match weight of every comparison. Pairs at or above the link threshold
become edges of the identity graph (int_identity__components); the rest down to the review
threshold are kept so an analyst can see what almost matched and why.

Turned off by the environment variable FUNNEL_PROBABILISTIC_MATCHING=false:
the table is then empty and customers are linked by shared keys only.
"""

from orchestration.lib.record_linkage import LinkageSettings, empty_links, predict_links


def _flag(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("int_identity__match_features")
    if not _flag(dbt.config.get("probabilistic_matching")):
        return empty_links()
    settings = LinkageSettings(
        link_threshold=float(dbt.config.get("link_threshold")),
        review_threshold=float(dbt.config.get("review_threshold")),
        min_records=int(dbt.config.get("min_records")),
        max_days_apart=int(dbt.config.get("max_days_apart")),
    )
    return predict_links(features.arrow().read_all(), settings)
