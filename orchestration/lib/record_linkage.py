"""Probabilistic record linkage for what shared keys miss, with Splink on DuckDB.

A WeCom contact whose rep never noted a mobile, or a mailbox that never wrote one, shares no key
with the customer's lead, yet the rep's remark (``陈建华-同辉华通``), the company, the day they
appeared and the rep who serves them say who they are. Splink scores every candidate pair with a
Fellegi–Sunter model: each comparison contributes a match weight (log2 Bayes factor) learned from
the data itself (u from random pairs, m by expectation maximisation), so every decision can be
read back as "name +7.9, company hint +6.1, same day +5.0, same rep +2.8, prior −12.4".

The model is trained on each run's records, so it follows the data. It works in its own
in-memory DuckDB: nothing of Splink's working tables reaches the warehouse.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass

import duckdb
import pyarrow as pa

# Input: one row per person-level record (see int_identity__match_features).
FEATURE_COLUMNS = ("record_id", "person_name", "company_norm", "company_hint", "rep_id", "seen_at")

# The comparisons, in the order their weights are reported.
COMPARISONS = ("person_name", "company", "seen_at", "rep_id")

LINKS_SCHEMA = pa.schema(
    [("record_id_l", pa.string()), ("record_id_r", pa.string()),
     ("match_probability", pa.float64()), ("match_weight", pa.float64()), ("is_link", pa.bool_())]
    + [(f"weight_{name}", pa.float64()) for name in COMPARISONS]
    + [("prior_weight", pa.float64()), ("explanation", pa.string())]
)


@dataclass(frozen=True)
class LinkageSettings:
    link_threshold: float = 0.99  # pairs at or above this match probability become identity edges
    review_threshold: float = 0.5  # pairs kept for review (explained, but not linked)
    min_records: int = 200  # below this, too few pairs to learn weights from: no links proposed
    seed: int = 42
    max_u_pairs: int = 2_000_000
    max_days_apart: int = 7  # candidate pairs must have been first seen within this many days
    threads: int = 2
    memory_limit: str = "2GB"  # Splink's own DuckDB spills to disk beyond this


def empty_links() -> pa.Table:
    return LINKS_SCHEMA.empty_table()


def _close_in_time(keys: tuple[str, ...], days: int, l_window: str = "seen_window",
                   r_window: str = "seen_window") -> str:
    """Blocking rule: equal ``keys``, first seen at most ``days`` apart, in the windows (of
    ``days`` days, see _with_windows) named. The equality on keys and window is what the join
    runs on; blocking on the keys alone would compare every pair of holders of a common name
    (王伟) or every record of a rep's company prefix across the whole history: a number of
    pairs that grows with the square of the data."""
    equal = " and ".join(f"l.{key} = r.{key}" for key in keys)
    return f"{equal} and l.{l_window} = r.{r_window} and abs(date_diff('day', l.seen_at, r.seen_at)) <= {days}"


def _close_in_time_rules(keys: tuple[str, ...], days: int) -> list[str]:
    """Every pair with equal ``keys`` at most ``days`` apart, as three equi-join rules: two such
    records fall in the same window of ``days`` days or in neighbouring ones."""
    return [_close_in_time(keys, days), _close_in_time(keys, days, "seen_window", "next_window"),
            _close_in_time(keys, days, "next_window", "seen_window")]


def _with_windows(conn: duckdb.DuckDBPyConnection, features: pa.Table, days: int) -> pa.Table:
    """Features plus the number of the ``days``-day window each record was first seen in, the
    next window's number, and the day number (the blocking keys of the rules above)."""
    conn.register("_features", features)
    try:
        return conn.sql(
            f"SELECT *, floor(epoch(seen_at) / {86400 * days})::BIGINT AS seen_window, "
            f"floor(epoch(seen_at) / {86400 * days})::BIGINT + 1 AS next_window, "
            f"floor(epoch(seen_at) / 86400)::BIGINT AS seen_day FROM _features").to_arrow_table()
    finally:
        conn.unregister("_features")


def _settings(cfg: LinkageSettings):
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    company = cl.CustomComparison(
        output_column_name="company",
        comparison_levels=[
            cll.And(cll.NullLevel("company_norm"), cll.NullLevel("company_hint")),
            cll.ExactMatchLevel("company_norm"),
            # one mistyped or dropped character (新息/信息, 瑞大/瑞达)
            cll.DamerauLevenshteinLevel("company_norm", 1),
            # the rep's remark names the company by its first characters only; when both
            # records carry full names that differ, equal first characters prove nothing
            cll.CustomLevel(
                '"company_hint_l" = "company_hint_r" and ("company_norm_l" is null or "company_norm_r" is null)',
                label_for_charts="Same first characters, one full name unknown"),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            # common names (王伟) weigh less than rare ones
            cl.ExactMatch("person_name").configure(term_frequency_adjustments=True),
            company,
            cl.AbsoluteTimeDifferenceAtThresholds(
                "seen_at", input_is_string=False, metrics=["day", "day"], thresholds=[1, cfg.max_days_apart]),
            cl.ExactMatch("rep_id"),
        ],
        # Candidate pairs, first seen within max_days_apart: same name and company start; same
        # company start and rep; same name and rep where one side's company is unknown (a WeCom
        # contact noted by nickname). A pair whose companies are both known and differ is not
        # compared: the company weighs against it, it could not link. Blocking on the name alone
        # would compare every holder of a common name (王伟) seen in the same week: tens of
        # millions of pairs at a million customers.
        blocking_rules_to_generate_predictions=[
            *_close_in_time_rules(("person_name", "company_hint"), cfg.max_days_apart),
            *_close_in_time_rules(("company_hint", "rep_id"), cfg.max_days_apart),
            *(f"{rule} and (l.company_hint is null or r.company_hint is null)"
              for rule in _close_in_time_rules(("person_name", "rep_id"), cfg.max_days_apart)),
        ],
        retain_intermediate_calculation_columns=True,
    )


def _train(linker, cfg: LinkageSettings) -> None:
    from splink import block_on

    linker.training.estimate_probability_two_random_records_match(
        [block_on("person_name", "company_hint")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=cfg.max_u_pairs, seed=cfg.seed)
    # Each EM pass holds the comparisons it blocks on fixed and learns the others' m values; the
    # three passes together learn all four. Every block is narrow (it joins on a time window
    # too) and shares two of the three identifying keys, so its pairs are mostly true matches:
    # on a block where most pairs are strangers (same name, same day), EM settles on weights
    # that separate nothing once common names crowd each day.
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("person_name", "company_hint", "seen_window"))  # learns rep, seen_at
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("company_hint", "rep_id", "seen_window"))  # learns name, seen_at
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("person_name", "rep_id", "seen_day"))  # learns company, seen_at


def predict_links(features: pa.Table, cfg: LinkageSettings = LinkageSettings()) -> pa.Table:
    """Candidate pairs with match probability ≥ review threshold, each with its weights."""
    if features.num_rows < cfg.min_records:
        logging.getLogger(__name__).warning(
            "probabilistic linking skipped: %d person records, fewer than the %d needed to learn "
            "match weights", features.num_rows, cfg.min_records)
        return empty_links()

    from splink import DuckDBAPI, Linker

    # An in-memory DuckDB spills to ./.tmp by default, i.e. into whatever folder dbt runs from.
    with tempfile.TemporaryDirectory(prefix="funnel_splink_") as spill, duckdb.connect() as conn:
        conn.execute(f"SET threads TO {cfg.threads}")
        conn.execute(f"SET memory_limit = '{cfg.memory_limit}'")
        conn.execute(f"SET temp_directory = '{spill}'")
        api = DuckDBAPI(conn)
        records = _with_windows(conn, features.select(list(FEATURE_COLUMNS)), cfg.max_days_apart)
        linker = Linker(api.register(records), _settings(cfg), log_level=logging.WARNING)
        _train(linker, cfg)
        pairs = linker.inference.predict(threshold_match_probability=cfg.review_threshold)
        return _explain(conn, pairs.as_duckdbpyrelation(), cfg)


def _comparison_weight(columns: list[str], name: str) -> str:
    """SQL for the comparison's match weight (log2 Bayes factor), term-frequency adjustment included."""
    terms = [f"coalesce({column}, 0)" for column in (f"mw_{name}", f"mw_tf_adj_{name}") if column in columns]
    return " + ".join(terms) or "0.0"


def _explain(conn: duckdb.DuckDBPyConnection, pairs: duckdb.DuckDBPyRelation, cfg: LinkageSettings) -> pa.Table:
    """Each pair once (smaller record id left), its decision, and every comparison's weight; the
    total is the prior plus every comparison's weight, so the prior is what remains."""
    weights = {name: _comparison_weight(pairs.columns, name) for name in COMPARISONS}
    explanation = " || '; ' || ".join(f"'{name} ' || printf('%+.1f', weight_{name})" for name in COMPARISONS)
    conn.register("_pairs", pairs)
    try:
        return conn.sql(f"""
            WITH weighed AS (
                SELECT least(record_id_l, record_id_r) AS record_id_l,
                       greatest(record_id_l, record_id_r) AS record_id_r,
                       match_probability, match_weight,
                       {", ".join(f"({sql})::DOUBLE AS weight_{name}" for name, sql in weights.items())}
                FROM _pairs
            )
            SELECT record_id_l, record_id_r, match_probability, match_weight,
                   match_probability >= {cfg.link_threshold} AS is_link,
                   {", ".join(f"weight_{name}" for name in COMPARISONS)},
                   match_weight - ({" + ".join(f"weight_{name}" for name in COMPARISONS)}) AS prior_weight,
                   {explanation} || '; prior ' || printf('%+.1f', prior_weight) AS explanation
            FROM weighed
        """).to_arrow_table().cast(LINKS_SCHEMA)
    finally:
        conn.unregister("_pairs")
