"""The probabilistic matcher's model for the week (Splink settings with the learnt m and u
probabilities and the prior, as JSON, and the names' frequencies): trained on the person records
first seen before the start of the latest record's week. A run in the same week with the same
settings (every nightly run of the week) finds that model already here and keeps it instead of
training again, also when an older record has changed since.
Empty when probabilistic matching is turned off (FUNNEL_PROBABILISTIC_MATCHING=false).
"""

from orchestration.lib.record_linkage import (MODEL_SCHEMA, kept_model, previous_result, settings_from_config,
                                              train_model, week_of_latest)


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("int_identity__match_features")
    # dbt hands a Python model the config keys its code names literally in dbt.config.get(...)
    settings = settings_from_config({
        "probabilistic_matching": dbt.config.get("probabilistic_matching"),
        "link_threshold": dbt.config.get("link_threshold"),
        "review_threshold": dbt.config.get("review_threshold"),
        "min_records": dbt.config.get("min_records"),
        "max_days_apart": dbt.config.get("max_days_apart"),
    })
    if settings is None:
        return MODEL_SCHEMA.empty_table()
    previous = previous_result(session, str(dbt.this), MODEL_SCHEMA)
    # Six nights of seven keep the week's model: decided from the latest record's week, read in
    # the warehouse, before the records are read (at a million customers reading them into Arrow
    # took 1.5-2 s of every night, on the identity models' one-at-a-time path).
    if (kept := kept_model(previous, week_of_latest(features), settings)) is not None:
        return kept
    return train_model(features.arrow().read_all(), previous, settings)
