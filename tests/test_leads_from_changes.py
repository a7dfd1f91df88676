"""The models computed from the touches and leads a night changed (int_lead_first_response,
int_lead_spells, int_lead_scores, int_inbound_contacts, int_stage_move_evidence and the sums of
touches per customer: macros/leads.sql, touches.sql, journeys.sql) still hold what a build from
scratch would.

On two copies of the demo warehouse, what a night changes is done by hand and stamped as the
models upstream stamp what they write: a call to one lead's customer a minute after the lead was
created is classified (a new first response), the event of another lead's first response is gone
(its touch is deleted, so its customer's touches changed), a third lead is re-delivered with
another rating and without its e-mail (its grade and score), a fourth lead's record is labelled
into another customer, an open lead is exported closed on a new day (its spell ends), and a quote
is mailed to the customer of a journey that moved into negotiation without one, before the move.
One copy runs the touches, the journeys and the models above incrementally, the other rebuilds
them with --full-refresh: the tables must be equal row for row, and a lead nothing changed for,
tampered with in the incremental copy, must be left as it was (it is not computed)."""

from __future__ import annotations

import duckdb

from conftest import Home
from scoped_runs import assert_equal_but_tampered, copy_home, run_models, scoped, table

MODELS = {"int_touchpoints": "intermediate", "int_funnel_journeys": "intermediate",
          "int_lead_first_response": "intermediate", "int_lead_spells": "intermediate",
          "int_lead_scores": "intermediate", "int_inbound_contacts": "intermediate",
          "int_stage_move_evidence": "intermediate", "int_customer_touches": "intermediate",
          "int_customer_inbound_tags": "intermediate", "int_customer_two_way_months": "intermediate",
          "int_customer_weekly_follow_ups": "intermediate", "int_outbound_message_replies": "intermediate"}


def _change(home: Home) -> dict[str, str]:
    """What a night classifies, stages and labels, done by hand; returns the leads it concerns."""
    with duckdb.connect(str(home.warehouse)) as conn:
        leads = conn.execute("""
            SELECT lead_id, customer_key FROM intermediate.int_lead_first_response
            WHERE first_response_at IS NOT NULL AND customer_key IS NOT NULL
              AND customer_key IN (SELECT customer_key FROM intermediate.int_lead_first_response
                                   GROUP BY 1 HAVING count(*) = 1)
            ORDER BY lead_id LIMIT 5""").fetchall()
        (answered_sooner, _), (unanswered, customer), (regraded, _), (relabelled, _), (untouched, _) = leads
        # a genuine call to the first lead's customer a minute after the lead was created
        conn.execute("""
            INSERT INTO intermediate.int_touch_events BY NAME
            SELECT events.* REPLACE ('crm:night-call' AS touchpoint_id, ? AS counterparty_id,
                              leads.created_at + INTERVAL 1 MINUTE AS occurred_at, now() AS loaded_at, now() AS written_at)
            FROM (SELECT * FROM intermediate.int_touch_events
                  WHERE channel = 'crm' AND is_sent_by_us AND NOT is_auto_reply ORDER BY touchpoint_id LIMIT 1) AS events
            CROSS JOIN (SELECT created_at FROM staging.stg_crm__leads WHERE lead_id = ?) AS leads""",
                     [answered_sooner, answered_sooner])
        # a quote to the customer of a journey that moved into negotiation without one, before the move
        quoted, moved_at, quoted_lead = conn.execute("""
            SELECT evidence.journey_id, spells.entered_at, journeys.lead_id
            FROM intermediate.int_stage_move_evidence AS evidence
            INNER JOIN intermediate.int_stage_spells AS spells USING (journey_id, spell_sequence)
            INNER JOIN intermediate.int_funnel_journeys AS journeys USING (journey_id)
            WHERE evidence.missing_evidence = 'quote' AND evidence.required_evidence = 'quote'
              AND journeys.journey_type = 'lead' AND journeys.lead_id NOT IN (SELECT unnest(?))
            ORDER BY 1 LIMIT 1""", [[lead for lead, _ in leads]]).fetchone()
        conn.execute("""
            INSERT INTO intermediate.int_touch_events BY NAME
            SELECT * REPLACE ('crm:night-quote' AS touchpoint_id, ? AS counterparty_id, '报价单已发送' AS content,
                              ?::timestamptz - INTERVAL 1 HOUR AS occurred_at, now() AS loaded_at, now() AS written_at)
            FROM intermediate.int_touch_events
            WHERE channel = 'crm' AND is_sent_by_us AND NOT is_auto_reply ORDER BY touchpoint_id LIMIT 1""",
                     [quoted_lead, moved_at])
        # the event of the second lead's first response is gone, logged as int_touch_events logs
        # what it removes
        conn.execute("""
            CREATE TEMP TABLE gone AS
            SELECT touches.touchpoint_id FROM intermediate.int_touchpoints AS touches
            INNER JOIN intermediate.int_lead_first_response AS leads
                ON leads.customer_key = touches.customer_key AND leads.first_response_at = touches.occurred_at
            WHERE leads.lead_id = ? AND touches.is_genuine_outbound""", [unanswered])
        conn.execute("INSERT INTO intermediate.int_touch_events__removed SELECT touchpoint_id, now() FROM gone")
        conn.execute("DELETE FROM intermediate.int_touch_events WHERE touchpoint_id IN (SELECT touchpoint_id FROM gone)")
        conn.execute("UPDATE staging.stg_crm__leads SET rating = CASE WHEN rating = 'Hot' THEN 'Warm' ELSE 'Hot' END, "
                     "crm_system = 'salesforce', email = NULL, loaded_at = now() WHERE lead_id = ?", [regraded])
        conn.execute("UPDATE intermediate.int_identity__components SET customer_key = 'another-customer', written_at = now() "
                     "WHERE record_id = ?", [f"crm:lead:{relabelled}"])
        # an open lead exported closed the day after its latest export: a raw version, staged again
        closed = conn.execute("""
            SELECT spells.lead_id FROM intermediate.int_lead_spells AS spells
            INNER JOIN staging.stg_crm__leads AS leads USING (lead_id)
            WHERE spells.closed_at IS NULL AND leads.crm_system = 'salesforce' AND spells.lead_id NOT IN (?, ?, ?, ?, ?)
            ORDER BY 1 LIMIT 1""", [answered_sooner, unanswered, regraded, relabelled, untouched]).fetchone()[0]
        conn.execute("""
            INSERT INTO raw_crm.leads
            SELECT * REPLACE ('Closed - Not Converted' AS status, _delivery_date + 1 AS _delivery_date,
                              'night.csv' AS _source_file, now() AS _loaded_at)
            FROM raw_crm.leads WHERE lead_id = ? ORDER BY _delivery_date DESC, _source_line DESC LIMIT 1""", [closed])
        conn.execute("UPDATE staging.stg_crm__leads SET loaded_at = now() WHERE lead_id = ?", [closed])
    return {"answered_sooner": answered_sooner, "unanswered": unanswered, "customer": customer,
            "regraded": regraded, "relabelled": relabelled, "untouched": untouched, "closed": closed,
            "quoted": quoted}


def test_leads_are_computed_from_the_changes_alone(copied_home, tmp_path):
    leads = _change(copied_home)
    rebuilt = copy_home(copied_home, tmp_path / "rebuilt")
    with duckdb.connect(str(copied_home.warehouse)) as conn:
        before = {row[0]: row[1:] for row in conn.execute(
            "SELECT lead_id, first_response_at, grade, customer_key FROM intermediate.int_lead_first_response").fetchall()}
        conn.execute("UPDATE intermediate.int_lead_first_response SET channel = 'tampered' WHERE lead_id = ?",
                     [leads["untouched"]])

    assert scoped(run_models(copied_home, tmp_path / "target_incremental", MODELS)) == set(MODELS)
    assert scoped(run_models(rebuilt, tmp_path / "target_rebuilt", MODELS, "--full-refresh")) == set()

    for model in MODELS:
        assert_equal_but_tampered(table(copied_home, f"intermediate.{model}"), table(rebuilt, f"intermediate.{model}"), model,
                                  ("lead_id", leads["untouched"], "channel") if model == "int_lead_first_response" else None)

    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        after = {row[0]: row[1:] for row in conn.execute(
            "SELECT lead_id, first_response_at, grade, customer_key FROM intermediate.int_lead_first_response").fetchall()}
    # each change reached the lead it concerns
    assert after[leads["answered_sooner"]][0] < before[leads["answered_sooner"]][0]
    assert after[leads["unanswered"]][0] != before[leads["unanswered"]][0]
    assert after[leads["regraded"]][1] != before[leads["regraded"]][1]
    assert after[leads["relabelled"]][2] == "another-customer"
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        closed = conn.execute("SELECT count(*), count(closed_at) FROM intermediate.int_lead_spells WHERE lead_id = ?",
                              [leads["closed"]]).fetchone()
        relabelled = conn.execute("SELECT DISTINCT customer_key FROM intermediate.int_lead_spells WHERE lead_id = ?",
                                  [leads["relabelled"]]).fetchall()
    assert closed[0] > 0 and closed[0] == closed[1]  # its open spell ended
    assert relabelled == [("another-customer",)]
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        scored = conn.execute("SELECT has_email FROM intermediate.int_lead_scores WHERE lead_id = ?",
                              [leads["regraded"]]).fetchone()
        contacted = conn.execute("SELECT count(*) FROM intermediate.int_inbound_contacts "
                                 "WHERE customer_key = 'another-customer'").fetchone()
    assert scored == (False,) and contacted == (1,)
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        evidence = conn.execute("SELECT bool_and(has_required_evidence) FROM intermediate.int_stage_move_evidence "
                                "WHERE journey_id = ? AND required_evidence = 'quote'", [leads["quoted"]]).fetchone()
    assert evidence == (True,)
