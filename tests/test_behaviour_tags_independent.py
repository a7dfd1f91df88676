"""Behaviour tags from what customers write (int_customer_behaviour_tags), against a plain Python
reading of the same messages and rules.

int_touch_events finds, once per message, which behaviour keywords it contains (behaviour_tags),
and the tags model counts the inbound ones per customer. On a copy of the demo warehouse the
keyword rules are changed in the seed's table (one rule gains a common word), and `dbt run` of
the two models must classify every held message again (the rules are part of its settings) and
give (through int_customer_inbound_tags, which counts each customer's tagged messages, computed
for the customers with a message classified since), for every keyword and message-count rule,
exactly the customers and evidence counts that
the messages' text gives by hand: a rule's |-separated keywords, case-insensitive, counted over
the customer's inbound messages, kept from the rule's minimum on."""

from __future__ import annotations

from collections import Counter

import duckdb

from conftest import dbt

COMPILED = ("compiled", "sales_funnel", "models", "intermediate", "int_touch_events.sql")
ADDED_KEYWORD = "你好"


def _expected(conn: duckdb.DuckDBPyConnection) -> set[tuple[str, str, int]]:
    rules = conn.execute("SELECT tag, rule_kind, pattern, min_evidence FROM config.behaviour_tag_rules").fetchall()
    inbound = conn.execute("""
        SELECT touches.customer_key, events.content
        FROM intermediate.int_touchpoints AS touches
        JOIN intermediate.int_touch_events AS events USING (touchpoint_id)
        WHERE touches.direction = 'in' AND touches.customer_key IS NOT NULL""").fetchall()
    expected = set()
    for tag, kind, pattern, min_evidence in rules:
        if kind == "inbound_text":
            keywords = [keyword for keyword in pattern.lower().split("|") if keyword]
            counts = Counter(customer for customer, content in inbound
                             if any(keyword in (content or "").lower() for keyword in keywords))
        elif kind == "inbound_touches":
            counts = Counter(customer for customer, _ in inbound)
        else:
            continue
        expected |= {(customer, tag, count) for customer, count in counts.items() if count >= min_evidence}
    return expected


def _tags(conn: duckdb.DuckDBPyConnection) -> set[tuple[str, str, int]]:
    return set(conn.execute("""
        SELECT tags.customer_key, tags.tag, tags.evidence_count
        FROM intermediate.int_customer_behaviour_tags AS tags
        JOIN config.behaviour_tag_rules AS rules USING (tag)
        WHERE rules.rule_kind IN ('inbound_text', 'inbound_touches')""").fetchall())


def test_keyword_tags_equal_a_reading_of_the_messages_by_hand_after_the_rules_change(copied_home, tmp_path):
    with duckdb.connect(str(copied_home.warehouse)) as conn:
        assert _tags(conn) == _expected(conn)  # as the demo built them
        before = _tags(conn)
        conn.execute(f"UPDATE config.behaviour_tag_rules SET pattern = pattern || '|{ADDED_KEYWORD}' "
                     "WHERE tag = 'wants_demo'")
        classified_before = conn.execute("SELECT max(written_at) FROM intermediate.int_touch_events").fetchone()[0]

    done = dbt("run", "--select", "int_touch_events", "int_customer_inbound_tags", "int_customer_behaviour_tags",
               target=tmp_path / "target", home=copied_home)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "anti join" in tmp_path.joinpath("target", *COMPILED).read_text(encoding="utf-8")  # compares every touch

    with duckdb.connect(str(copied_home.warehouse), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM intermediate.int_touch_events WHERE written_at <= ?",
                            [classified_before]).fetchone() == (0,)  # every message classified again
        after = _tags(conn)
        assert after == _expected(conn)
    # The added keyword is in some inbound messages: the rule change was seen.
    assert {row for row in after if row[1] == "wants_demo"} != {row for row in before if row[1] == "wants_demo"}
