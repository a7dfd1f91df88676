"""int_touch_events classifies the staging rows loaded since its last build, without comparing
every touch, as long as no staging input was built from every raw row since
(dbt_project/models/intermediate/int_touch_events.sql).

On a copy of the demo warehouse, staging changes the way an incremental staging run changes it:
a new mail arrives, and a chat's later version is a group message (no longer a one-to-one touch).
`dbt run` of the model must then classify the mail, drop the chat, and hold exactly the touches
staging has (read here straight from staging), while a held touch nothing changed is not looked
at. When a staging input notes that it was built from every raw row since (a delivery corrected),
the model compares every touch again and drops one whose staging row has gone. Every touch a run
drops is logged in int_touch_events__removed, where int_touchpoints looks for the touches to delete."""

from __future__ import annotations

import duckdb

from conftest import Home, dbt

COMPILED = ("compiled", "sales_funnel", "models", "intermediate", "int_touch_events.sql")
STAGED = """
    SELECT 'wecom:' || message_id FROM staging.stg_wecom__messages WHERE action = 'send' AND room_id IS NULL
    UNION ALL SELECT 'email:' || message_key FROM staging.stg_email__messages
    UNION ALL SELECT 'crm:' || task_id FROM staging.stg_crm__tasks"""


def _ids(conn: duckdb.DuckDBPyConnection, query: str) -> set[str]:
    return {row[0] for row in conn.execute(query).fetchall()}


def _removed_by_the_run(conn: duckdb.DuckDBPyConnection) -> set[str]:
    """The touches the last run logged as removed (int_touch_events__removed, at its start)."""
    return _ids(conn, "SELECT touchpoint_id FROM intermediate.int_touch_events__removed WHERE removed_at = "
                      "(SELECT built_at FROM intermediate.int_touch_events__build_mark)")


def _run(home: Home, target) -> str:
    done = dbt("run", "--select", "int_touch_events", target=target, home=home)
    assert done.returncode == 0, done.stdout[-3000:]
    return target.joinpath(*COMPILED).read_text(encoding="utf-8")


def test_touch_events_are_classified_from_the_rows_loaded_since(copied_home, tmp_path):
    with duckdb.connect(str(copied_home.warehouse)) as conn:
        regrouped = conn.execute("SELECT min(message_id) FROM staging.stg_wecom__messages "
                                 "WHERE action = 'send' AND room_id IS NULL").fetchone()[0]
        conn.execute("UPDATE staging.stg_wecom__messages SET room_id = 'room-later', loaded_at = now() "
                     "WHERE message_id = ?", [regrouped])
        conn.execute("INSERT INTO staging.stg_email__messages BY NAME SELECT * REPLACE ('new-mail' AS message_key, "
                     "now() AS loaded_at) FROM staging.stg_email__messages WHERE message_key = "
                     "(SELECT min(message_key) FROM staging.stg_email__messages)")
        untouched = conn.execute("SELECT max(touchpoint_id) FROM intermediate.int_touch_events "
                                 "WHERE channel = 'crm'").fetchone()[0]
        conn.execute("UPDATE intermediate.int_touch_events SET content = 'tampered' WHERE touchpoint_id = ?",
                     [untouched])

    compiled = _run(copied_home, tmp_path / "target")
    assert "messages.loaded_at > '" in compiled and "anti join" not in compiled  # from the rows loaded since

    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        held = _ids(conn, "SELECT touchpoint_id FROM intermediate.int_touch_events")
        assert held == _ids(conn, STAGED)
        assert "email:new-mail" in held and f"wecom:{regrouped}" not in held
        assert _removed_by_the_run(conn) == {f"wecom:{regrouped}"}  # logged for int_touchpoints
        assert conn.execute("SELECT content FROM intermediate.int_touch_events WHERE touchpoint_id = ?",
                            [untouched]).fetchone() == ("tampered",)  # not looked at


def test_a_staging_input_built_from_every_raw_row_makes_it_compare(copied_home, tmp_path):
    with duckdb.connect(str(copied_home.warehouse)) as conn:
        gone = conn.execute("SELECT min(task_id) FROM staging.stg_crm__tasks").fetchone()[0]
        conn.execute("DELETE FROM staging.stg_crm__tasks WHERE task_id = ?", [gone])
        conn.execute("UPDATE staging.stg_crm__tasks__rebuilt SET rebuilt_at = now()")

    compiled = _run(copied_home, tmp_path / "target")
    assert "anti join" in compiled  # every touch compared

    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        held = _ids(conn, "SELECT touchpoint_id FROM intermediate.int_touch_events")
        assert f"crm:{gone}" not in held and held == _ids(conn, STAGED)
        assert _removed_by_the_run(conn) == {f"crm:{gone}"}
