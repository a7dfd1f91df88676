"""Probabilistic identity links (Splink): candidate pairs of person records with their match
probability and the match weight of every comparison, scored by the week's model
(int_identity__linkage_model). Pairs at or above the link threshold become edges of the identity
graph (int_identity__components); the rest down to the review threshold are kept so an analyst
can see what almost matched and why.

Scored block by block (see orchestration.lib.record_linkage): a block whose records and model are
unchanged since the last run keeps the pairs it had, which are exactly what scoring it again would
give, so a nightly run scores only the blocks its new day touched.

Empty when the environment variable FUNNEL_PROBABILISTIC_MATCHING=false turns matching off
(int_identity__linkage_model then has no model): customers are linked by shared keys only.
"""

from orchestration.lib.record_linkage import LINKS_SCHEMA, link_pairs, previous_result


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("int_identity__match_features")
    linkage_model = dbt.ref("int_identity__linkage_model")
    previous = previous_result(session, str(dbt.this), LINKS_SCHEMA)
    return link_pairs(features.arrow().read_all(), linkage_model.arrow().read_all(), previous)
