"""int_identity__junk_keys counts again only the key values that int_identity__record_keys wrote
or removed since its last build (macros/identity.sql: junk_keys_scope), and still holds what a
build from scratch would.

On two copies of the demo warehouse, with a limit of 2 records per key, the record keys are
changed the way their model changes them (a row written carries the run's stamp, a row removed
goes to the removed log): a key on 3 records loses one (no longer junk) and a key on 2 records
gains one (now junk). One copy runs the model incrementally, the other rebuilds it with
--full-refresh: the tables must be equal row for row, except a junk key that was tampered with in
the incremental copy and that no record gained or lost: it is left as it was (not counted again,
the proof that the scope was used, beside the compiled SQL)."""

from __future__ import annotations

import json

import duckdb

from scoped_runs import assert_equal_but_tampered, copy_home, run_models, scoped, table

MODEL = {"int_identity__junk_keys": "intermediate"}
LIMIT = ["--vars", json.dumps({"identity_max_records_per_key": 2})]
KEYS = "intermediate.int_identity__record_keys"


def _keys_on(conn, records: int) -> list[tuple[str, str]]:
    return conn.execute(f"SELECT key_type, key_value FROM {KEYS} GROUP BY ALL HAVING count(*) = ? ORDER BY ALL",
                        [records]).fetchall()


def test_junk_keys_are_counted_from_the_changes_alone(copied_home, tmp_path):
    # a first build under this limit: its mark is the one the incremental run starts from
    assert scoped(run_models(copied_home, tmp_path / "target_first", MODEL, *LIMIT)) == set()
    with duckdb.connect(str(copied_home.warehouse)) as conn:
        (losing, tampered), gaining = _keys_on(conn, 3)[:2], _keys_on(conn, 2)[0]
        junk = set(conn.execute("SELECT key_type, key_value FROM intermediate.int_identity__junk_keys").fetchall())
        assert {losing, tampered} <= junk and gaining not in junk
        (lost_record,) = conn.execute(f"SELECT min(record_id) FROM {KEYS} WHERE key_type = ? AND key_value = ?",
                                      list(losing)).fetchone()
        conn.execute(f"INSERT INTO {KEYS}__removed VALUES (?, ?, ?, now())", [lost_record, *losing])
        conn.execute(f"DELETE FROM {KEYS} WHERE record_id = ? AND key_type = ? AND key_value = ?", [lost_record, *losing])
        conn.execute(f"INSERT INTO {KEYS} BY NAME SELECT 'crm:lead:night-lead' AS record_id, ? AS key_type, "
                     "? AS key_value, now() AS written_at", list(gaining))
    rebuilt = copy_home(copied_home, tmp_path / "rebuilt")
    with duckdb.connect(str(copied_home.warehouse)) as conn:
        conn.execute("UPDATE intermediate.int_identity__junk_keys SET example_record_id = 'tampered' "
                     "WHERE key_type = ? AND key_value = ?", list(tampered))

    assert scoped(run_models(copied_home, tmp_path / "target_incremental", MODEL, *LIMIT)) == set(MODEL)
    assert scoped(run_models(rebuilt, tmp_path / "target_rebuilt", MODEL, "--full-refresh", *LIMIT)) == set()

    incremental, full = (table(home, "intermediate.int_identity__junk_keys") for home in (copied_home, rebuilt))
    assert_equal_but_tampered(incremental, full, "int_identity__junk_keys", ("key_value", tampered[1], "example_record_id"))
    held = set(zip(full["key_type"], full["key_value"]))
    assert losing not in held and gaining in held and tampered in held
    assert full.loc[full["key_value"] == gaining[1], "records"].tolist() == [3]

    # a night under another limit counts every key again
    assert scoped(run_models(copied_home, tmp_path / "target_other_limit", MODEL)) == set()


def test_a_scope_holding_the_only_junk_key_is_still_used(copied_home, tmp_path):
    """Under a limit that leaves one junk key (as at a million customers: the front-desk phone
    new leads type in), a night that gives that key one more holder has the whole table in its
    scope. A scope of so few rows is used all the same (changed_rows_small_scope_rows): the key
    is counted again from its holders alone, not every key, and the table equals a rebuild's.
    With the small scope set to none, the same night computes every key (the share rule)."""
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        (top_type, top_value, top), (_, _, second) = conn.execute(
            f"SELECT key_type, key_value, count(*) FROM {KEYS} GROUP BY ALL ORDER BY 3 DESC, 1, 2 LIMIT 2").fetchall()
    assert top > second, "the demo must have one key held by the most records"
    one_junk = ["--vars", json.dumps({"identity_max_records_per_key": second})]
    run_models(copied_home, tmp_path / "target_first", MODEL, *one_junk)
    assert table(copied_home, "intermediate.int_identity__junk_keys")["key_value"].tolist() == [top_value]
    with duckdb.connect(str(copied_home.warehouse)) as conn:
        conn.execute(f"INSERT INTO {KEYS} BY NAME SELECT 'crm:lead:night-lead' AS record_id, ? AS key_type, "
                     "? AS key_value, now() AS written_at", [top_type, top_value])
    share_rule_only = copy_home(copied_home, tmp_path / "share_rule_only")
    rebuilt = copy_home(copied_home, tmp_path / "rebuilt")

    assert scoped(run_models(copied_home, tmp_path / "target_incremental", MODEL, *one_junk)) == set(MODEL)
    assert scoped(run_models(rebuilt, tmp_path / "target_rebuilt", MODEL, "--full-refresh", *one_junk)) == set()
    incremental, full = (table(home, "intermediate.int_identity__junk_keys") for home in (copied_home, rebuilt))
    assert_equal_but_tampered(incremental, full, "int_identity__junk_keys")
    assert full["records"].tolist() == [top + 1]

    no_small_scope = ["--vars", json.dumps({"identity_max_records_per_key": second, "changed_rows_small_scope_rows": 0})]
    assert scoped(run_models(share_rule_only, tmp_path / "target_share", MODEL, *no_small_scope)) == set()
