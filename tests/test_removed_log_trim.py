"""The log of the keys an incremental model removed (<model>__removed) does not grow for ever:
after each build, trim_removed_log (dbt_project/macros/changed_rows.sql) deletes a row once every
child model with a build mark has read it (removed at or before the oldest of their marks) and it
is older than var('removed_log_retention_days'). A row a reader has still to read stays, however
old: int_identity__components finds there the keys taken away since its own last build."""

from __future__ import annotations

import json

import duckdb

from conftest import dbt

LOG = "intermediate.int_identity__record_keys__removed"
READER_MARK = "intermediate.int_identity__components__build_mark"


def _log(home) -> set[tuple]:
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        return set(conn.execute(f"SELECT record_id, key_type, key_value, removed_at FROM {LOG}").fetchall())


def test_the_removed_log_keeps_what_a_reader_has_not_read_and_recent_rows(copied_home, tmp_path):
    with duckdb.connect(str(copied_home.warehouse)) as conn:
        # The reader last built 40 days ago; one row removed the day before (read), one the day
        # after (not read yet), one an hour ago.
        conn.execute(f"UPDATE {READER_MARK} SET built_at = now() - INTERVAL 40 DAY")
        mark = conn.execute(f"SELECT built_at FROM {READER_MARK}").fetchone()[0]
        conn.execute(f"INSERT INTO {LOG} VALUES ('crm:lead:read', 'mobile', '+8613800000001', ?::TIMESTAMPTZ - INTERVAL 1 DAY), "
                     f"('crm:lead:unread', 'mobile', '+8613800000002', ?::TIMESTAMPTZ + INTERVAL 1 DAY), "
                     f"('crm:lead:recent', 'mobile', '+8613800000003', now() - INTERVAL 1 HOUR)", [mark, mark])
    held = _log(copied_home)
    read = {row for row in held if row[0] == "crm:lead:read"}
    assert len(read) == 1 and {"crm:lead:unread", "crm:lead:recent"} <= {row[0] for row in held}

    # Kept for 60 days: the read row (41 days old) stays.
    done = dbt("run", "--select", "int_identity__record_keys", "--vars", json.dumps({"removed_log_retention_days": 60}),
               target=tmp_path / "target", home=copied_home)
    assert done.returncode == 0, done.stdout[-3000:]
    assert _log(copied_home) == held

    # Kept for 30 days: the read row goes; the unread one, 39 days old, stays, as does every
    # recent row.
    done = dbt("run", "--select", "int_identity__record_keys", target=tmp_path / "target", home=copied_home)
    assert done.returncode == 0, done.stdout[-3000:]
    assert _log(copied_home) == held - read

    # Once the reader has built after them, the old unread row goes too; the recent one, read
    # now, is kept for its 30 days.
    with duckdb.connect(str(copied_home.warehouse)) as conn:
        conn.execute(f"UPDATE {READER_MARK} SET built_at = now()")
    done = dbt("run", "--select", "int_identity__record_keys", target=tmp_path / "target", home=copied_home)
    assert done.returncode == 0, done.stdout[-3000:]
    assert _log(copied_home) == {row for row in held - read if row[0] != "crm:lead:unread"}
