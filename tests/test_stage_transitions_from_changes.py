"""fct_stage_transitions computes again only the journeys with a spell, journey or evidence row
written since its last build (dbt_project/models/marts/core/fct_stage_transitions.sql).

On a copy of the demo warehouse, the models it reads are changed as their own runs would change
them (rows written carry the time of writing): one journey moves to another customer, one makes
a new move, one's evidence for a move is found different, and one is gone. A transition of a
fifth journey, where nothing changed, is tampered with. `dbt run` of the transitions must then
hold each change, leave the tampered row alone (the run does not look at that journey, which is
the point) and otherwise hold exactly what a full rebuild of the model builds from the same rows."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from conftest import Home, dbt

COMPILED = ("compiled", "sales_funnel", "models", "marts", "core", "fct_stage_transitions.sql")
TWO_DAYS = 2.0


def _journeys(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Five different journeys, each chosen for the change it gets."""
    chosen: dict[str, str] = {}

    def pick(role: str, query: str) -> None:
        taken = list(chosen.values()) or ["-"]
        placeholders = ", ".join("?" for _ in taken)
        row = conn.execute(query.format(taken=placeholders), taken).fetchone()
        assert row is not None, role
        chosen[role] = row[0]

    pick("moved", "SELECT min(journey_id) FROM marts.fct_stage_transitions "
                  "WHERE customer_key IS NOT NULL AND journey_id NOT IN ({taken})")
    pick("evidence", "SELECT min(journey_id) FROM intermediate.int_stage_move_evidence WHERE journey_id NOT IN ({taken})")
    pick("new_move", "SELECT min(journey_id) FROM intermediate.int_stage_spells "
                     "WHERE is_current AND stage NOT IN ('won', 'lost') AND journey_id NOT IN ({taken})")
    pick("gone", "SELECT min(journey_id) FROM intermediate.int_stage_spells WHERE journey_id NOT IN ({taken})")
    pick("tampered", "SELECT min(journey_id) FROM marts.fct_stage_transitions WHERE journey_id NOT IN ({taken})")
    return chosen


def _change(home: Home) -> tuple[dict[str, str], dict]:
    with duckdb.connect(str(home.warehouse)) as conn:
        journeys = _journeys(conn)
        conn.execute("UPDATE intermediate.int_funnel_journeys SET customer_key = 'customer-moved', written_at = now() "
                     "WHERE journey_id = ?", [journeys["moved"]])

        spell, required, found = conn.execute(
            "SELECT spell_sequence, required_evidence, has_required_evidence FROM intermediate.int_stage_move_evidence "
            "WHERE journey_id = ? ORDER BY spell_sequence LIMIT 1", [journeys["evidence"]]).fetchone()
        conn.execute("UPDATE intermediate.int_stage_move_evidence SET has_required_evidence = ?, missing_evidence = ?, "
                     "written_at = now() WHERE journey_id = ? AND spell_sequence = ?",
                     [not found, required if found else None, journeys["evidence"], spell])
        evidence_moved_at = conn.execute("SELECT entered_at FROM intermediate.int_stage_spells "
                                         "WHERE journey_id = ? AND spell_sequence = ?",
                                         [journeys["evidence"], spell]).fetchone()[0]

        # A move into `won` two days after the current stage was entered: the current spell ends,
        # a new one begins (what int_stage_spells writes for a new OpportunityHistory row).
        current_stage, current_sequence = conn.execute(
            "SELECT stage, spell_sequence FROM intermediate.int_stage_spells WHERE journey_id = ? AND is_current",
            [journeys["new_move"]]).fetchone()
        conn.execute(f"""
            INSERT INTO intermediate.int_stage_spells BY NAME
            SELECT journey_id, spell_sequence + 1 AS spell_sequence, event_sequence + 1 AS event_sequence,
                   'won' AS stage, (SELECT stage_order FROM config.canonical_stages WHERE stage = 'won') AS stage_order,
                   'Closed Won' AS source_stage, entered_at + INTERVAL {int(TWO_DAYS)} DAY AS entered_at,
                   'rep-test' AS moved_by, true AS is_current, now() AS written_at
            FROM intermediate.int_stage_spells WHERE journey_id = ? AND is_current""", [journeys["new_move"]])
        conn.execute(f"""
            UPDATE intermediate.int_stage_spells
            SET exited_at = entered_at + INTERVAL {int(TWO_DAYS)} DAY, next_stage = 'won', is_current = false,
                dwell_days = {TWO_DAYS}, written_at = now()
            WHERE journey_id = ? AND spell_sequence = ?""", [journeys["new_move"], current_sequence])
        new_move_rows = conn.execute("SELECT count(*) FROM marts.fct_stage_transitions WHERE journey_id = ?",
                                     [journeys["new_move"]]).fetchone()[0]

        for table in ("int_stage_spells", "int_funnel_journeys", "int_stage_move_evidence"):
            conn.execute(f"DELETE FROM intermediate.{table} WHERE journey_id = ?", [journeys["gone"]])

        tampered = conn.execute("SELECT min(transition_id) FROM marts.fct_stage_transitions WHERE journey_id = ?",
                                [journeys["tampered"]]).fetchone()[0]
        conn.execute("UPDATE marts.fct_stage_transitions SET moved_by = 'tampered' WHERE transition_id = ?", [tampered])
    return journeys, {"found": found, "evidence_moved_at": evidence_moved_at, "current_stage": current_stage,
                      "new_move_rows": new_move_rows, "tampered": tampered}


def test_stage_moves_are_computed_again_for_the_changed_journeys_alone(copied_home, tmp_path):
    journeys, before = _change(copied_home)
    done = dbt("run", "--select", "fct_stage_transitions", target=tmp_path / "target", home=copied_home)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "semi join changed_journeys" in tmp_path.joinpath("target", *COMPILED).read_text(encoding="utf-8")

    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        def rows(where: str, *args) -> list[tuple]:
            return conn.execute(f"SELECT * FROM marts.fct_stage_transitions WHERE {where}", list(args)).fetchall()

        assert {row[0] for row in conn.execute("SELECT DISTINCT customer_key FROM marts.fct_stage_transitions "
                                               "WHERE journey_id = ?", [journeys["moved"]]).fetchall()} == {"customer-moved"}
        assert conn.execute("SELECT has_required_evidence FROM marts.fct_stage_transitions WHERE journey_id = ? "
                            "AND moved_at = ?", [journeys["evidence"], before["evidence_moved_at"]]).fetchone() \
            == (not before["found"],)
        assert len(rows("journey_id = ?", journeys["new_move"])) == before["new_move_rows"] + 1
        assert conn.execute("SELECT from_stage, from_stage_dwell_days FROM marts.fct_stage_transitions "
                            "WHERE journey_id = ? AND to_stage = 'won'", [journeys["new_move"]]).fetchone() \
            == (before["current_stage"], pytest.approx(TWO_DAYS))
        assert rows("journey_id = ?", journeys["gone"]) == []
        assert conn.execute("SELECT moved_by FROM marts.fct_stage_transitions WHERE transition_id = ?",
                            [before["tampered"]]).fetchone() == ("tampered",)

    # Everything else is what a full rebuild of the model builds from the same rows.
    rebuilt = Home(tmp_path / "rebuilt")
    shutil.copytree(copied_home.root, rebuilt.root)
    done = dbt("run", "--full-refresh", "--select", "fct_stage_transitions", target=tmp_path / "target_full",
               home=rebuilt)
    assert done.returncode == 0, done.stdout[-3000:]
    with duckdb.connect() as conn:
        conn.execute(f"ATTACH '{copied_home.warehouse}' AS incremental (READ_ONLY)")
        conn.execute(f"ATTACH '{rebuilt.warehouse}' AS full_build (READ_ONLY)")
        differing = conn.execute("""
            SELECT count(*) FROM (
                (SELECT * FROM incremental.marts.fct_stage_transitions EXCEPT ALL SELECT * FROM full_build.marts.fct_stage_transitions)
                UNION ALL
                (SELECT * FROM full_build.marts.fct_stage_transitions EXCEPT ALL SELECT * FROM incremental.marts.fct_stage_transitions)
            ) WHERE transition_id <> ?""", [before["tampered"]]).fetchone()[0]
        total = conn.execute("SELECT count(*) FROM full_build.marts.fct_stage_transitions").fetchone()[0]
    assert total > 100
    assert differing == 0
