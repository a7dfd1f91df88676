"""Probabilistic record linkage for what shared keys miss, with Splink on DuckDB.

A WeCom contact whose rep never noted a mobile, or a mailbox that never wrote one, shares no key
with the customer's lead, yet the rep's remark (``陈建华-同辉华通``), the company, the day they
appeared and the rep who serves them say who they are. Splink scores every candidate pair with a
Fellegi–Sunter model: each comparison contributes a match weight (log2 Bayes factor) learned from
the data itself (u from random pairs, m by expectation maximisation), so every decision can be
read back as "name +7.9, company hint +6.1, same day +5.0, same rep +2.8, prior −12.4".

The model is learnt once a week, from the records first seen before the week began, and kept
through the week (``train_model``), so it follows the data without a nightly retraining. Scoring (``link_pairs``) then works block by block:
a candidate pair's records were first seen in the same ``max_days_apart``-day window or in
neighbouring ones, so the pairs whose earlier record falls in window w depend on nothing but the
records of windows w and w + 1, the model and how common each name was when it was trained.
A block whose fingerprint of all of these is unchanged keeps the pairs scored before, exactly as
a fresh scoring would give them; a nightly run scores the blocks its new day touched.

Splink works in its own in-memory DuckDB: nothing of its working tables reaches the warehouse.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import tempfile
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone

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
    + [("prior_weight", pa.float64()), ("explanation", pa.string()),
       ("block_window", pa.int64()), ("block_fingerprint", pa.string())]
)

# How common a name is among the records when the model was trained (Splink's term-frequency lookup).
_FREQUENCY_SCHEMA = pa.schema([("person_name", pa.string()), ("tf_person_name", pa.float64())])

# One row: the week's model (see train_model).
MODEL_SCHEMA = pa.schema([
    ("trained_through", pa.timestamp("us", tz="UTC")), ("training_records", pa.int64()),
    ("model_fingerprint", pa.string()), ("settings_json", pa.string()), ("model_json", pa.string()),
    ("name_frequencies", pa.list_(pa.struct(list(_FREQUENCY_SCHEMA)))), ("trained_at", pa.timestamp("us", tz="UTC")),
])


@dataclasses.dataclass(frozen=True)
class LinkageSettings:
    link_threshold: float = 0.99  # pairs at or above this match probability become identity edges
    review_threshold: float = 0.5  # pairs kept for review (explained, but not linked)
    min_records: int = 200  # below this, too few pairs to learn weights from: no links proposed
    seed: int = 42
    max_u_pairs: int = 2_000_000
    max_days_apart: int = 7  # candidate pairs must have been first seen within this many days
    threads: int = 2
    memory_limit: str = "2GB"  # Splink's own DuckDB spills to disk beyond this
    # Raised whenever train_model learns differently: a kept model of another version is not kept.
    model_version: int = 2

    def as_json(self) -> str:
        """The settings as stored with a model (LinkageSettings(**json.loads(...)) reads them back)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)


def settings_from_config(config: Mapping[str, object]) -> LinkageSettings | None:
    """The settings in a dbt model's config; None when probabilistic matching is turned off
    (FUNNEL_PROBABILISTIC_MATCHING=false)."""
    if str(config["probabilistic_matching"]).strip().lower() not in ("1", "true", "yes", "on"):
        return None
    return LinkageSettings(
        link_threshold=float(config["link_threshold"]),
        review_threshold=float(config["review_threshold"]),
        min_records=int(config["min_records"]),
        max_days_apart=int(config["max_days_apart"]),
    )


def empty_links() -> pa.Table:
    return LINKS_SCHEMA.empty_table()


def previous_result(conn: duckdb.DuckDBPyConnection, relation: str, schema: pa.Schema) -> pa.Table | None:
    """A model's table as its last run left it, if it exists with every column of ``schema`` (a
    table written by an older version of the model is not reused)."""
    try:
        table = conn.sql(f"SELECT * FROM {relation}")
    except duckdb.CatalogException:
        return None
    if not set(schema.names) <= set(table.columns):
        return None
    return table.select(*schema.names).to_arrow_table().cast(schema)


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


@contextlib.contextmanager
def _registered(conn: duckdb.DuckDBPyConnection, name: str, table: object) -> Iterator[None]:
    """``table`` readable as ``name`` in ``conn`` for the duration of the block."""
    conn.register(name, table)
    try:
        yield
    finally:
        conn.unregister(name)


def _with_windows(conn: duckdb.DuckDBPyConnection, features: pa.Table, days: int) -> pa.Table:
    """Features plus the number of the ``days``-day window each record was first seen in, the
    next window's number, and the day number (the blocking keys of the rules above)."""
    with _registered(conn, "_features", features):
        return conn.sql(
            f"SELECT *, floor(epoch(seen_at) / {86400 * days})::BIGINT AS seen_window, "
            f"floor(epoch(seen_at) / {86400 * days})::BIGINT + 1 AS next_window, "
            f"floor(epoch(seen_at) / 86400)::BIGINT AS seen_day FROM _features").to_arrow_table()


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
        # Splink drops from each rule the pairs of the rules before it, a test on every pair its
        # join keys match: the widest join (a rep's records of one name and week, 14 million
        # pairs at a million customers, of which the unknown-company condition keeps 2.5
        # million) goes first, so that it is not tested against the others.
        blocking_rules_to_generate_predictions=[
            *(f"{rule} and (l.company_hint is null or r.company_hint is null)"
              for rule in _close_in_time_rules(("person_name", "rep_id"), cfg.max_days_apart)),
            *_close_in_time_rules(("person_name", "company_hint"), cfg.max_days_apart),
            *_close_in_time_rules(("company_hint", "rep_id"), cfg.max_days_apart),
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


@contextlib.contextmanager
def _splink_db(cfg: LinkageSettings) -> Iterator[duckdb.DuckDBPyConnection]:
    """Splink's own in-memory DuckDB. It would spill to ./.tmp by default, i.e. into whatever
    folder dbt runs from."""
    with tempfile.TemporaryDirectory(prefix="funnel_splink_") as spill, duckdb.connect() as conn:
        conn.execute(f"SET threads TO {cfg.threads}")
        conn.execute(f"SET memory_limit = '{cfg.memory_limit}'")
        conn.execute(f"SET temp_directory = '{spill}'")
        yield conn


# Everything a record contributes to the scores of its pairs.
_ROW_HASH = f"hash({', '.join(FEATURE_COLUMNS)})"


def week_of_latest(features: duckdb.DuckDBPyRelation) -> datetime | None:
    """The start of the week (UTC) of the latest record of ``features``: a week's model learns from
    the records first seen before it. Read where the relation is (the warehouse, for the dbt model)."""
    return features.aggregate("date_trunc('week', max(seen_at AT TIME ZONE 'UTC'))").fetchall()[0][0]


def _training_records(conn: duckdb.DuckDBPyConnection, features: pa.Table) -> tuple[object, pa.Table]:
    """The start of the week of the latest record (UTC) and the records first seen before it."""
    with _registered(conn, "_all_features", features):
        cutoff = week_of_latest(conn.table("_all_features"))
        training = conn.sql("SELECT * FROM _all_features WHERE seen_at AT TIME ZONE 'UTC' < ?", params=[cutoff]) \
            if cutoff is not None else conn.sql("SELECT * FROM _all_features LIMIT 0")
        return cutoff, training.to_arrow_table()


def _name_frequencies(conn: duckdb.DuckDBPyConnection, features: pa.Table) -> list[dict]:
    """How common each name is among ``features`` (Splink's term frequency)."""
    with _registered(conn, "_named", features):
        return conn.sql("SELECT person_name, count(*)::DOUBLE / sum(count(*)) OVER () AS tf_person_name "
                        "FROM _named WHERE person_name IS NOT NULL GROUP BY person_name "
                        "ORDER BY person_name").to_arrow_table().to_pylist()


def _model_row(trained_through, training_records: int, model: dict | None, frequencies: list[dict],
               cfg: LinkageSettings) -> pa.Table:
    model_json = json.dumps(model, sort_keys=True, ensure_ascii=False) if model is not None else None
    settings_json = cfg.as_json()
    # A pair's score depends on the model, the names' frequencies, the thresholds that decide
    # which pairs are kept and how far apart blocks reach: every block's fingerprint carries this.
    model_fingerprint = hashlib.md5(
        json.dumps([model_json, frequencies, settings_json], ensure_ascii=False).encode()).hexdigest()
    return pa.Table.from_pylist([{
        "trained_through": trained_through, "training_records": training_records,
        "model_fingerprint": model_fingerprint, "settings_json": settings_json, "model_json": model_json,
        "name_frequencies": frequencies, "trained_at": datetime.now(timezone.utc),
    }], schema=MODEL_SCHEMA)


def kept_model(previous: pa.Table | None, week: datetime | None, cfg: LinkageSettings) -> pa.Table | None:
    """``previous`` (a train_model row) when it is the model of ``week`` (week_of_latest) under
    these settings, else None: the model is to be trained."""
    if previous is not None and previous.num_rows == 1 \
            and previous["trained_through"][0].as_py() == (week and week.replace(tzinfo=timezone.utc)) \
            and previous["settings_json"][0].as_py() == cfg.as_json():
        return previous.cast(MODEL_SCHEMA)
    return None


def train_model(features: pa.Table, previous: pa.Table | None = None,
                cfg: LinkageSettings = LinkageSettings()) -> pa.Table:
    """The week's model as one row (MODEL_SCHEMA): trained on the records first seen before the
    start of the latest record's week, with how common each name is among all records (a name
    seen only this week is no rarer for it: at the sample's size, two 林洋 of the last days met
    with the full weight of a name never seen, and were linked); or ``previous``
    when that is already the model of this week with these settings. A week's model stays for
    the week, also when an older record changes since (a lead handed to another rep): its pairs
    are scored again with it, and the next week's model learns from the change. model_json is
    null when fewer than ``min_records`` records were first seen before the cut-off."""
    with _splink_db(cfg) as conn:
        features = features.select(list(FEATURE_COLUMNS))
        cutoff, training = _training_records(conn, features)
        if (kept := kept_model(previous, cutoff, cfg)) is not None:
            return kept
        if training.num_rows < cfg.min_records:
            logging.getLogger(__name__).warning(
                "probabilistic linking skipped: %d person records first seen before %s, fewer than the %d "
                "needed to learn match weights", training.num_rows, cutoff, cfg.min_records)
            return _model_row(cutoff, training.num_rows, None, [], cfg)
        from splink import DuckDBAPI, Linker

        api = DuckDBAPI(conn)
        linker = Linker(api.register(_with_windows(conn, training, cfg.max_days_apart)), _settings(cfg),
                        log_level=logging.WARNING)
        _train(linker, cfg)
        return _model_row(cutoff, training.num_rows, linker.misc.save_model_to_json(),
                          _name_frequencies(conn, features), cfg)


def link_pairs(features: pa.Table, model: pa.Table, previous: pa.Table | None = None) -> pa.Table:
    """Candidate pairs with match probability ≥ review threshold, each with its weights, scored by
    ``model`` (a train_model row, with the settings it was trained with). The pairs of a block
    whose fingerprint is unchanged since ``previous`` (this function's last result) are taken
    from it; the other blocks are scored. A block's fingerprint covers everything its pairs'
    scores depend on: the model (with its settings and names' frequencies) and every feature of
    the records of the block's window and of the next."""
    if model.num_rows != 1 or model["model_json"][0].as_py() is None:
        return empty_links()
    cfg = LinkageSettings(**json.loads(model["settings_json"][0].as_py()))
    with _splink_db(cfg) as conn:
        records = _with_windows(conn, features.select(list(FEATURE_COLUMNS)), cfg.max_days_apart)
        conn.register("_records", records)
        conn.register("_previous", previous if previous is not None else empty_links())
        conn.execute(f"""
            CREATE TEMP TABLE _blocks AS
            WITH windows AS (
                SELECT seen_window, count(*) AS records, bit_xor({_ROW_HASH}) AS hashed
                FROM _records WHERE seen_window IS NOT NULL GROUP BY seen_window
            )
            SELECT windows.seen_window AS block_window,
                   md5(concat_ws('|', ?, windows.records, windows.hashed,
                                 coalesce(next.records, 0), coalesce(next.hashed, 0))) AS block_fingerprint
            FROM windows LEFT JOIN windows AS next ON next.seen_window = windows.seen_window + 1
        """, [model["model_fingerprint"][0].as_py()])
        conn.execute("CREATE TEMP TABLE _kept AS "
                     "SELECT _previous.* FROM _previous SEMI JOIN _blocks USING (block_window, block_fingerprint)")
        conn.execute("CREATE TEMP TABLE _dirty AS SELECT * FROM _blocks "
                     "WHERE block_window NOT IN (SELECT block_window FROM _kept)")
        dirty = conn.execute("SELECT count(*) FROM _dirty").fetchall()[0][0]
        logging.getLogger(__name__).info("probabilistic links: %d blocks scored, %d unchanged",
                                         dirty, conn.execute("SELECT count(*) FROM _blocks").fetchall()[0][0] - dirty)
        kept = conn.sql("SELECT * FROM _kept").to_arrow_table().cast(LINKS_SCHEMA)
        if not dirty:
            return kept
        return pa.concat_tables([kept, _score_blocks(conn, model, cfg)])


def _score_blocks(conn: duckdb.DuckDBPyConnection, model: pa.Table, cfg: LinkageSettings) -> pa.Table:
    """Pairs of the blocks in _dirty, from the records of those windows and the windows after them,
    with the names' frequencies the model was trained with (a name first seen since gets no
    adjustment until the next week's model)."""
    from splink import DuckDBAPI, Linker

    api = DuckDBAPI(conn)
    subset = conn.sql("SELECT * FROM _records WHERE seen_window IN (SELECT block_window FROM _dirty) "
                      "OR seen_window - 1 IN (SELECT block_window FROM _dirty)").to_arrow_table()
    linker = Linker(api.register(subset), json.loads(model["model_json"][0].as_py()), log_level=logging.WARNING)
    frequencies = pa.Table.from_pylist(model["name_frequencies"][0].as_py(), schema=_FREQUENCY_SCHEMA)
    linker.table_management.register_term_frequency_lookup(api.register(frequencies), "person_name")
    pairs = linker.inference.predict(threshold_match_probability=cfg.review_threshold)
    return _explain(conn, pairs.as_duckdbpyrelation(), cfg)


def _comparison_weight(columns: list[str], name: str) -> str:
    """SQL for the comparison's match weight (log2 Bayes factor), term-frequency adjustment included."""
    terms = [f"coalesce({column}, 0)" for column in (f"mw_{name}", f"mw_tf_adj_{name}") if column in columns]
    return " + ".join(terms) or "0.0"


def _explain(conn: duckdb.DuckDBPyConnection, pairs: duckdb.DuckDBPyRelation, cfg: LinkageSettings) -> pa.Table:
    """Each pair once (smaller record id left), its decision, every comparison's weight and its
    block (pairs of the subset's last windows that belong to an unchanged block are dropped: that
    block keeps its pairs). The total is the prior plus every comparison's weight, so the prior is
    what remains."""
    weights = {name: _comparison_weight(pairs.columns, name) for name in COMPARISONS}
    explanation = " || '; ' || ".join(f"'{name} ' || printf('%+.1f', weight_{name})" for name in COMPARISONS)
    with _registered(conn, "_pairs", pairs):
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
                   {explanation} || '; prior ' || printf('%+.1f', prior_weight) AS explanation,
                   _dirty.block_window, _dirty.block_fingerprint
            FROM weighed
            JOIN _records AS l ON l.record_id = weighed.record_id_l
            JOIN _records AS r ON r.record_id = weighed.record_id_r
            -- each pair belongs to the block of its earlier record's window
            JOIN _dirty ON _dirty.block_window = least(l.seen_window, r.seen_window)
        """).to_arrow_table().cast(LINKS_SCHEMA)
