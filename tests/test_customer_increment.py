"""dim_customer's nightly computes again only the customers whose row can differ
(dbt_project/models/marts/core/dim_customer.sql), and the rest of the table stays as it was.

On a copy of the demo warehouse, dim_customer is tampered with where the model must notice
(a customer's behaviour tags, compared for every customer; a missing row, a stray row) and
where it must not look (a golden name and a touch count: the golden record is computed again
only for customers whose members were written since the last build, the activity only for
those whose touches, journeys or tags changed), one identity record is changed and stamped, and
one customer's touch is deleted and logged, as a nightly would. `dbt run` of the model then
restores what it must and leaves the rest; with changed survivorship rules it computes every
customer."""

from __future__ import annotations

import duckdb

from conftest import Home, dbt

COLUMNS = "customer_key, customer_name, touchpoints, behaviour_tags"


def _customers(home: Home) -> dict[str, tuple]:
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        return {row[0]: row[1:] for row in conn.execute(f"SELECT {COLUMNS} FROM marts.dim_customer").fetchall()}


def _pick(home: Home) -> tuple[str, str, str, str, str, str]:
    """Five customers with a CRM-sourced golden name and touches, and the lead record that gives
    the last one its name (its only record with a name)."""
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        rows = conn.execute("""
            SELECT c.customer_key, any_value(r.record_id)
            FROM marts.dim_customer AS c
            JOIN intermediate.int_identity__components AS m USING (customer_key)
            JOIN intermediate.int_identity__records AS r USING (record_id)
            WHERE c.customer_name_source = 'crm' AND c.touchpoints > 0
            GROUP BY c.customer_key
            HAVING count(r.customer_name) = 1 AND count(*) FILTER (WHERE r.source = 'crm' AND r.customer_name IS NOT NULL) = 1
            ORDER BY c.customer_key LIMIT 5""").fetchall()
    assert len(rows) == 5
    (renamed_only, _), (recounted, _), (missing, _), (retagged, _), (changed, record) = rows
    return renamed_only, recounted, missing, retagged, changed, record


def _tamper(home: Home, renamed_only: str, recounted: str, missing: str, retagged: str, changed: str, record: str) -> None:
    with duckdb.connect(str(home.warehouse)) as conn:
        conn.execute("UPDATE marts.dim_customer SET customer_name = 'tampered', touchpoints = touchpoints + 7 "
                     "WHERE customer_key = ?", [renamed_only])
        conn.execute("UPDATE marts.dim_customer SET customer_name = 'tampered', behaviour_tags = 'tampered' "
                     "WHERE customer_key = ?", [retagged])
        # what a night's int_touchpoints does with a touch whose event is gone: log it, delete it
        touch = "(SELECT min(touchpoint_id) FROM intermediate.int_touchpoints WHERE customer_key = $1)"
        conn.execute(f"INSERT INTO intermediate.int_touchpoints__removed BY NAME SELECT touchpoint_id, customer_key, "
                     f"now() AS removed_at FROM intermediate.int_touchpoints WHERE touchpoint_id = {touch}", [recounted])
        conn.execute(f"DELETE FROM intermediate.int_touchpoints WHERE touchpoint_id = {touch}", [recounted])
        conn.execute("DELETE FROM marts.dim_customer WHERE customer_key = ?", [missing])
        conn.execute("INSERT INTO marts.dim_customer BY NAME SELECT * REPLACE ('stray' AS customer_key) "
                     "FROM marts.dim_customer WHERE customer_key = ?", [changed])
        # what a night's int_identity__records writes for a record whose name changed
        conn.execute("UPDATE intermediate.int_identity__records SET customer_name = '新名字', written_at = now() "
                     "WHERE record_id = ?", [record])


def test_the_nightly_computes_again_only_the_customers_whose_row_can_differ(copied_home, tmp_path):
    built = _customers(copied_home)
    renamed_only, recounted, missing, retagged, changed, record = picked = _pick(copied_home)
    _tamper(copied_home, *picked)

    done = dbt("run", "--select", "int_customer_touches", "dim_customer", target=tmp_path / "target", home=copied_home)
    assert done.returncode == 0, done.stdout[-3000:]
    compiled = (tmp_path / "target" / "compiled" / "sales_funnel" / "models" / "marts" / "core" / "dim_customer.sql")
    assert "semi join recomputed" in compiled.read_text(encoding="utf-8")
    assert "activity_scope as materialized" in compiled.read_text(encoding="utf-8")

    after = _customers(copied_home)
    assert after[recounted] == (built[recounted][0], built[recounted][1] - 1, built[recounted][2])  # a touch gone
    assert after[missing] == built[missing]  # no row: computed again
    assert "stray" not in after  # no longer a customer: deleted
    assert after[changed] == ("新名字", *built[changed][1:])  # a member written since the last build
    assert after[retagged] == built[retagged]  # tags differ from the row held: computed again
    # nothing it reads changed: left as it was
    assert after[renamed_only] == ("tampered", built[renamed_only][1] + 7, built[renamed_only][2])
    untouched = set(built) - {renamed_only, changed, recounted}
    assert {key: after[key] for key in untouched} == {key: built[key] for key in untouched}


def test_changed_survivorship_rules_compute_every_customer_again(copied_home, tmp_path):
    built = _customers(copied_home)
    renamed_only, *_ = _pick(copied_home)
    with duckdb.connect(str(copied_home.warehouse)) as conn:
        conn.execute("UPDATE marts.dim_customer SET customer_name = 'tampered' WHERE customer_key = ?", [renamed_only])
        # a priority that decides nothing (one source for the attribute) still changes the rules
        conn.execute("UPDATE config.survivorship_rules SET priority = priority + 1 WHERE attribute = 'credit_code'")

    done = dbt("run", "--select", "dim_customer", target=tmp_path / "target", home=copied_home)
    assert done.returncode == 0, done.stdout[-3000:]
    compiled = (tmp_path / "target" / "compiled" / "sales_funnel" / "models" / "marts" / "core" / "dim_customer.sql")
    assert "semi join recomputed" not in compiled.read_text(encoding="utf-8")
    assert _customers(copied_home) == built
