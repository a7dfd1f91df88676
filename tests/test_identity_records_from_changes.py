"""int_identity__records and int_identity__record_keys compute only the records whose staged
rows changed since their last build (macros/identity.sql: identity_record_scope), the match
features and the customer bridge only the records written or removed since theirs, and all four
still hold what a build from scratch would.

On two copies of the demo warehouse, staging is changed the way a night changes it, stamped as
the staging models stamp what they write (loaded_at): a lead is re-delivered with another
mobile, an external address sends a mail with a mobile in its signature, a WeCom contact writes
an address in chat, and an invoice is gone from the finance export (staged whole, without load instants). One copy
runs the models incrementally, the other rebuilds them with --full-refresh: the tables must be
equal row for row, what was taken away must be in the removed logs, and an untouched record
that was tampered with in the incremental copy must be left as it was (nothing it is built from
changed, so it is not computed: the proof that the scope was used, beside the compiled SQL).
When a staging model was rebuilt from every raw row since the last build, every record is
computed again."""

from __future__ import annotations

import duckdb

from conftest import Home
from scoped_runs import assert_equal_but_tampered, copy_home, run_models, scoped, table

MODELS = {"int_identity__records": "intermediate", "int_identity__record_keys": "intermediate",
          "int_identity__match_features": "intermediate", "bridge_customer_source_record": "marts/core"}
RELATIONS = {model: f"{'marts' if folder.startswith('marts') else 'intermediate'}.{model}" for model, folder in MODELS.items()}
NEW_MOBILE, SIGNATURE_MOBILE, CHAT_ADDRESS = "+8613900000001", "+8613900000002", "chat-only@example.net"


def _change_staging(home: Home) -> dict[str, str]:
    """What a night stages, done by hand; returns the record ids it concerns."""
    with duckdb.connect(str(home.warehouse)) as conn:
        lead = conn.execute("SELECT lead_id FROM staging.stg_crm__leads WHERE mobile IS NOT NULL ORDER BY lead_id LIMIT 1").fetchone()[0]
        conn.execute("UPDATE staging.stg_crm__leads SET mobile = ?, loaded_at = now() WHERE lead_id = ?", [NEW_MOBILE, lead])
        # a later mail from an external address, to the same rep as its first one
        address = conn.execute("""
            SELECT from_email FROM staging.stg_email__messages
            WHERE split_part(from_email, '@', 2) <> 'ourcompany.cn' ORDER BY sent_at, message_key LIMIT 1""").fetchone()[0]
        conn.execute("""
            INSERT INTO staging.stg_email__messages BY NAME
            SELECT * REPLACE ('night-mail' AS message_key, 'night-mail' AS message_id, sent_at + INTERVAL 90 DAY AS sent_at,
                              [?] AS body_mobiles, now() AS loaded_at)
            FROM staging.stg_email__messages WHERE from_email = ? ORDER BY sent_at, message_key LIMIT 1""",
                     [SIGNATURE_MOBILE, address])
        contact = conn.execute("""
            SELECT sender_id FROM staging.stg_wecom__messages
            WHERE sender_id IN (SELECT external_userid FROM staging.stg_wecom__external_contacts)
            ORDER BY sender_id LIMIT 1""").fetchone()[0]
        conn.execute("""
            INSERT INTO staging.stg_wecom__messages BY NAME
            SELECT * REPLACE ('night-chat' AS message_id, [?] AS text_emails, now() AS loaded_at)
            FROM staging.stg_wecom__messages WHERE sender_id = ? ORDER BY message_id LIMIT 1""", [CHAT_ADDRESS, contact])
        invoice = conn.execute("SELECT invoice_number FROM staging.stg_finance__invoices ORDER BY 1 LIMIT 1").fetchone()[0]
        conn.execute("DELETE FROM raw_finance.invoices WHERE invoice_number = ?", [invoice])  # its staging is a view
        untouched = conn.execute("""
            SELECT 'crm:lead:' || lead_id FROM staging.stg_crm__leads
            WHERE lead_id <> ? AND contact_name IS NOT NULL ORDER BY lead_id DESC LIMIT 1""", [lead]).fetchone()[0]
    return {"lead": f"crm:lead:{lead}", "address": f"email:address:{address}", "contact": f"wecom:contact:{contact}",
            "invoice": f"finance:invoice:{invoice}", "untouched": untouched}


def test_records_and_keys_are_computed_from_the_changes_alone(copied_home, tmp_path):
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        built_at = conn.execute("SELECT max(written_at) FROM intermediate.int_identity__records").fetchone()[0]
    records = _change_staging(copied_home)
    rebuilt = copy_home(copied_home, tmp_path / "rebuilt")
    with duckdb.connect(str(copied_home.warehouse)) as conn:
        conn.execute("UPDATE intermediate.int_identity__records SET customer_name = 'tampered' WHERE record_id = ?",
                     [records["untouched"]])

    assert scoped(run_models(copied_home, tmp_path / "target_incremental", MODELS)) == set(MODELS)
    assert scoped(run_models(rebuilt, tmp_path / "target_rebuilt", MODELS, "--full-refresh")) == set()

    for model in MODELS:
        assert_equal_but_tampered(table(copied_home, RELATIONS[model]), table(rebuilt, RELATIONS[model]), model,
                                  ("record_id", records["untouched"], "customer_name") if model == "int_identity__records" else None)

    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        keys = set(conn.execute("SELECT record_id, key_type, key_value FROM intermediate.int_identity__record_keys "
                                "WHERE record_id IN (?, ?, ?)", [records["lead"], records["address"], records["contact"]]).fetchall())
        assert {(records["lead"], "mobile", NEW_MOBILE), (records["address"], "mobile", SIGNATURE_MOBILE),
                (records["contact"], "email", CHAT_ADDRESS)} <= keys
        # only the lead's record changed: the address's and the contact's rows are as they were
        written = {row[0] for row in conn.execute(
            "SELECT record_id FROM intermediate.int_identity__records WHERE written_at > ?", [built_at]).fetchall()}
        assert written == {records["lead"]}
        assert conn.execute("SELECT record_id FROM intermediate.int_identity__records__removed WHERE removed_at > ?",
                            [built_at]).fetchall() == [(records["invoice"],)]
        removed_keys = set(conn.execute("SELECT record_id, key_type FROM intermediate.int_identity__record_keys__removed "
                                        "WHERE removed_at > ?", [built_at]).fetchall())
        assert (records["lead"], "mobile") in removed_keys  # the old mobile
        assert {record for record, _ in removed_keys} == {records["lead"], records["invoice"]}


def test_a_staging_model_rebuilt_since_computes_every_record(copied_home, tmp_path):
    with duckdb.connect(str(copied_home.warehouse)) as conn:
        untouched = conn.execute("SELECT record_id FROM intermediate.int_identity__records "
                                 "WHERE source = 'crm' AND customer_name IS NOT NULL ORDER BY 1 LIMIT 1").fetchone()[0]
        name = conn.execute("SELECT customer_name FROM intermediate.int_identity__records WHERE record_id = ?", [untouched]).fetchone()[0]
        conn.execute("UPDATE intermediate.int_identity__records SET customer_name = 'tampered' WHERE record_id = ?", [untouched])
        # stg_crm__leads was built again from every raw row after the models' last build
        conn.execute("UPDATE staging.stg_crm__leads__rebuilt SET rebuilt_at = now()")

    # the records and their keys in full; the features and the bridge follow the records written
    assert scoped(run_models(copied_home, tmp_path / "target", MODELS)) == {"int_identity__match_features",
                                                                             "bridge_customer_source_record"}
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        assert conn.execute("SELECT customer_name FROM intermediate.int_identity__records WHERE record_id = ?",
                            [untouched]).fetchone()[0] == name  # compared again, so put right
