"""The journey models compute only the journeys whose inputs changed since their last build
(macros/journeys.sql), and still hold what a build from scratch would.

On two copies of the demo warehouse, staging and the identity components are changed the way a
night changes them, stamped as the models upstream stamp what they write: a lead is re-delivered
converted into an opportunity that was a journey of its own (that journey ends), a converted
lead is re-delivered without its conversion (its opportunity becomes a journey of its own), an
opportunity's history gets a new stage move and another history row is re-delivered with a new
amount, and a lead's record is labelled into another customer. One copy runs the journey models
incrementally, the other rebuilds them with --full-refresh: the tables must be equal row for
row, and a journey nothing changed for, tampered with in the incremental copy, must be left as
it was (it is not computed)."""

from __future__ import annotations

import duckdb

from conftest import Home
from scoped_runs import assert_equal_but_tampered, copy_home, run_models, scoped, table

MODELS = {"int_funnel__journey_links": "intermediate", "int_stage_events": "intermediate",
          "int_funnel_journeys": "intermediate", "int_stage_spells": "intermediate"}


def _change(home: Home) -> dict[str, str]:
    """What a night stages and labels, done by hand; returns the ids it concerns."""
    with duckdb.connect(str(home.warehouse)) as conn:
        standalone = conn.execute("SELECT opportunity_id FROM intermediate.int_funnel__journey_links "
                                  "WHERE journey_type = 'opportunity' ORDER BY 1 LIMIT 1").fetchone()[0]
        converting, unconverted, relabelled, untouched = (row[0] for row in conn.execute("""
            (SELECT lead_id FROM staging.stg_crm__leads WHERE converted_opportunity_id IS NULL ORDER BY lead_id LIMIT 1)
            UNION ALL
            (SELECT lead_id FROM staging.stg_crm__leads WHERE converted_opportunity_id IS NOT NULL ORDER BY lead_id LIMIT 1)
            UNION ALL
            (SELECT lead_id FROM staging.stg_crm__leads WHERE converted_opportunity_id IS NULL ORDER BY lead_id LIMIT 1 OFFSET 1)
            UNION ALL
            (SELECT lead_id FROM staging.stg_crm__leads WHERE converted_opportunity_id IS NULL ORDER BY lead_id DESC LIMIT 1)
            """).fetchall())
        freed = conn.execute("SELECT converted_opportunity_id FROM staging.stg_crm__leads WHERE lead_id = ?",
                             [unconverted]).fetchone()[0]
        conn.execute("UPDATE staging.stg_crm__leads SET converted_opportunity_id = ?, is_converted = true, loaded_at = now() "
                     "WHERE lead_id = ?", [standalone, converting])
        conn.execute("UPDATE staging.stg_crm__leads SET converted_opportunity_id = NULL, is_converted = false, "
                     "loaded_at = now() WHERE lead_id = ?", [unconverted])
        # a stage move of the freed opportunity, and another opportunity's history re-delivered with a new amount
        conn.execute("""
            INSERT INTO staging.stg_crm__opportunity_history BY NAME
            SELECT * REPLACE ('night-move' AS history_id, changed_at + INTERVAL 1 DAY AS changed_at, now() AS loaded_at)
            FROM staging.stg_crm__opportunity_history WHERE opportunity_id = ? ORDER BY changed_at DESC LIMIT 1""", [freed])
        repriced = conn.execute("SELECT history_id FROM staging.stg_crm__opportunity_history "
                                "WHERE opportunity_id NOT IN (?, ?) ORDER BY history_id LIMIT 1", [freed, standalone]).fetchone()[0]
        conn.execute("UPDATE staging.stg_crm__opportunity_history SET amount = amount + 1000, loaded_at = now() "
                     "WHERE history_id = ?", [repriced])
        # the identity components label a lead's record into another customer
        conn.execute("UPDATE intermediate.int_identity__components SET customer_key = 'another-customer', written_at = now() "
                     "WHERE record_id = ?", [f"crm:lead:{relabelled}"])
    return {"standalone": f"opportunity:{standalone}", "freed": f"opportunity:{freed}", "converting": f"lead:{converting}",
            "relabelled": f"lead:{relabelled}", "untouched": f"lead:{untouched}"}


def test_journeys_are_computed_from_the_changes_alone(copied_home, tmp_path):
    journeys = _change(copied_home)
    rebuilt = copy_home(copied_home, tmp_path / "rebuilt")
    with duckdb.connect(str(copied_home.warehouse)) as conn:
        conn.execute("UPDATE intermediate.int_funnel_journeys SET channel = 'tampered' WHERE journey_id = ?",
                     [journeys["untouched"]])

    assert scoped(run_models(copied_home, tmp_path / "target_incremental", MODELS)) == set(MODELS)
    assert scoped(run_models(rebuilt, tmp_path / "target_rebuilt", MODELS, "--full-refresh")) == set()

    for model in MODELS:
        assert_equal_but_tampered(table(copied_home, f"intermediate.{model}"), table(rebuilt, f"intermediate.{model}"), model,
                                  ("journey_id", journeys["untouched"], "channel") if model == "int_funnel_journeys" else None)

    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        held = {row[0]: row[1:] for row in conn.execute(
            "SELECT journey_id, opportunity_id, customer_key FROM intermediate.int_funnel_journeys").fetchall()}
        removed = {row[0] for row in conn.execute("SELECT journey_id FROM intermediate.int_funnel__journey_links__removed").fetchall()}
    assert journeys["standalone"] not in held and journeys["standalone"] in removed  # now the converting lead's
    assert held[journeys["converting"]][0] == journeys["standalone"].removeprefix("opportunity:")
    assert journeys["freed"] in held  # a journey of its own again
    assert held[journeys["relabelled"]][1] == "another-customer"
