"""The nightly run on top of the history builds the same published marts as a full rebuild.

On a copy of the demo (a full build over every delivery): the last delivery day is taken out of
the landing zone and re-ingested (the real ingest removes its rows), dbt builds on the history;
then the day lands again, is ingested, and dbt runs incrementally. Every published model must
then equal the demo's, row for row, and the incremental staging models must have read only the
new rows (their compiled SQL filters on the watermark); published over the demo's version, the
result is the warehouse's, the touches taken from their change log. Both runs keep the demo's Splink model of
the week (int_identity__linkage_model), as a nightly keeps Monday's: the pairs, the identity
components and every published model are then the full build's."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from conftest import Home, dbt
from scoped_runs import reads_scope

SOURCES = ("crm", "email", "finance", "wecom")
INCREMENTAL_STAGING = ("staging/wecom/stg_wecom__messages.sql", "staging/email/stg_email__messages.sql",
                       "staging/crm/stg_crm__tasks.sql")


def _ingest(home: Home, delivered: date) -> None:
    """The ingest assets' loader on one delivery partition of every entity."""
    from orchestration.defs.ingest import ENTITIES
    from orchestration.lib.partition_load import load_entity

    with duckdb.connect(str(home.warehouse)) as conn:
        for contract, specs in ENTITIES:
            load_entity(conn, contract, home.landing, list(specs), [delivered])


def _dbt_run(home: Home, target: Path) -> None:
    done = dbt("run", target=target, home=home)
    assert done.returncode == 0, done.stdout[-4000:]


def _published_models(target: Path) -> list[str]:
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    return sorted(f"{n['schema']}.{n['alias']}" for n in manifest["nodes"].values()
                  if n["resource_type"] == "model" and "published" in n["tags"])


def _stage_rows_on(home: Home, delivered: date) -> int:
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        return sum(conn.execute(f"SELECT count(*) FROM staging.{model} WHERE delivery_date = ?", [delivered]).fetchone()[0]
                   for model in ("stg_wecom__messages", "stg_email__messages", "stg_crm__tasks"))


def test_incremental_nightly_builds_what_a_full_rebuild_builds(demo, tmp_path):
    home = Home(tmp_path / "home")
    shutil.copytree(demo.home.root, home.root)
    last = max(date.fromisoformat(p.name) for s in SOURCES for p in (home.landing / s).iterdir())
    held = tmp_path / "held"
    for source in SOURCES:
        if (home.landing / source / last.isoformat()).is_dir():
            shutil.move(home.landing / source / last.isoformat(), held / source / last.isoformat())

    # History only: the day's files are gone, ingest removes their rows, dbt rebuilds on the rest.
    _ingest(home, last)
    _dbt_run(home, tmp_path / "target_history")
    assert _stage_rows_on(home, last) == 0
    # The touches classified before hold exactly the staged ones again: the day's are dropped.
    staged, classified = _touch_ids(home)
    assert classified == staged and len(staged) > 100

    # The new day lands: ingest it, then the incremental run.
    for source in SOURCES:
        if (held / source / last.isoformat()).is_dir():
            shutil.move(held / source / last.isoformat(), home.landing / source / last.isoformat())
    _ingest(home, last)
    target = tmp_path / "target_incremental"
    _dbt_run(home, target)
    assert _stage_rows_on(home, last) > 0
    for model in INCREMENTAL_STAGING:
        compiled = (target / "compiled" / "sales_funnel" / "models" / model).read_text(encoding="utf-8")
        assert "_loaded_at > (select coalesce(max(loaded_at)" in compiled, model  # read only the new rows

    published = _published_models(target)
    assert len(published) > 20
    with duckdb.connect() as conn:
        conn.execute(f"ATTACH '{home.warehouse}' AS incremental (READ_ONLY)")
        conn.execute(f"ATTACH '{demo.home.warehouse}' AS full_build (READ_ONLY)")
        for table in published:
            _assert_same_rows(conn, table)
        # The identity models that keep their last run's work where nothing changed (the
        # components, the probabilistic pairs by block) hold what a build from scratch holds.
        _assert_same_rows(conn, "intermediate.int_identity__probabilistic_links")
        # Both runs kept the demo's model of the week, as it was trained (trained_at included).
        _assert_same_rows(conn, "intermediate.int_identity__linkage_model")
        # (written_at aside: the run that labelled a record, or last wrote it)
        _assert_same_rows(conn, "intermediate.int_identity__components", exclude=("written_at",))
        _assert_same_rows(conn, "intermediate.int_identity__records", exclude=("written_at",))
        # The touches classified once: what the increment added equals what a full build classified
        # (loaded_at and written_at aside: the day was loaded and classified again).
        _assert_same_rows(conn, "intermediate.int_touch_events", exclude=("loaded_at", "written_at"))
        # The touches placed again only where a row could differ hold what a full build holds.
        _assert_same_rows(conn, "intermediate.int_touchpoints", exclude=("written_at",))
        # The stamped models the marts and the scoped models downstream read (written_at aside).
        for table in ("int_stage_spells", "int_funnel_journeys", "int_stage_move_evidence", "int_stage_events",
                      "int_funnel__journey_links", "int_identity__record_keys", "int_identity__match_features",
                      "int_lead_first_response", "int_lead_spells", "int_lead_scores", "int_inbound_contacts",
                      "int_customer_touches", "int_customer_inbound_tags", "int_customer_behaviour_tags",
                      "int_customer_two_way_months", "int_customer_weekly_follow_ups", "int_outbound_message_replies"):
            _assert_same_rows(conn, f"intermediate.{table}", exclude=("written_at",))
    _assert_published_from_change_logs(home)
    compiled = (target / "compiled" / "sales_funnel" / "models" / "intermediate" / "int_touch_events.sql")
    assert "messages.loaded_at > '" in compiled.read_text(encoding="utf-8")  # took only the rows loaded since
    # The models computed for a scope of their keys: the records, touches, journeys, visits, leads and
    # customers' first contacts changed since
    for model in ("int_identity__records", "int_identity__record_keys", "int_identity__match_features",
                  "int_touchpoints", "int_funnel__journey_links", "int_stage_events", "int_funnel_journeys",
                  "int_stage_spells", "int_lead_first_response", "int_lead_spells", "int_lead_scores",
                  "int_inbound_contacts", "int_stage_move_evidence", "int_customer_touches", "int_customer_inbound_tags",
                  "int_customer_two_way_months", "int_customer_weekly_follow_ups", "int_outbound_message_replies"):
        compiled = target / "compiled" / "sales_funnel" / "models" / "intermediate" / f"{model}.sql"
        assert reads_scope(model, compiled.read_text(encoding="utf-8")), model
    compiled = (target / "compiled" / "sales_funnel" / "models" / "intermediate" / "int_identity__components.sql")
    assert "scope as materialized" in compiled.read_text(encoding="utf-8")  # labelled from the changes
    # The golden records computed again only for the customers whose members or activity changed
    compiled = (target / "compiled" / "sales_funnel" / "models" / "marts" / "core" / "dim_customer.sql")
    assert "semi join recomputed on recomputed.customer_key" in compiled.read_text(encoding="utf-8")
    # The stage moves computed again only for the journeys changed since the last build
    compiled = (target / "compiled" / "sales_funnel" / "models" / "marts" / "core" / "fct_stage_transitions.sql")
    assert "semi join changed_journeys on changed_journeys.journey_id = spells.journey_id" in compiled.read_text(encoding="utf-8")


def _assert_published_from_change_logs(home: Home) -> None:
    """Publishing the two runs' result over the demo's version (copied with the home) takes the
    touches from int_touchpoints' stamps and removed log, and the new version holds exactly the
    warehouse's rows of every published table."""
    from orchestration.defs.publish.assets import (PUBLISHED, PUBLISHED_CHANGE_LOGS, PUBLISHED_KEYS_BY_TABLE,
                                                   PUBLISHED_PARQUET_PARTS)
    from orchestration.lib.serving_store import parquet_tables, publish_tables

    version = publish_tables(home.warehouse, home.serving, PUBLISHED, "incremental", PUBLISHED_KEYS_BY_TABLE,
                             PUBLISHED_CHANGE_LOGS, PUBLISHED_PARQUET_PARTS)
    assert version.from_change_log == ("fct_touchpoints",)
    assert version.keys_written["fct_touchpoints"] > 0
    parquet = parquet_tables(home.serving.parent / "parquet" / version.version)
    with duckdb.connect(str(home.serving), read_only=True) as conn:
        conn.execute(f"ATTACH '{home.warehouse}' AS warehouse (READ_ONLY)")
        for schema, name in PUBLISHED:
            # the new version's file, and its Parquet copy (the facts' monthly parts, some linked
            # to the demo's version), each hold exactly the warehouse's rows
            for published in (f"main.{name}", f"read_parquet('{parquet[name]}')"):
                for left, right in ((published, f"warehouse.{schema}.{name}"), (f"warehouse.{schema}.{name}", published)):
                    extra = conn.execute(f"SELECT count(*) FROM (FROM {left} EXCEPT ALL FROM {right})").fetchone()[0]
                    assert extra == 0, f"{name}: {extra} rows of {left} are not in {right}"


def _touch_ids(home: Home) -> tuple[set[str], set[str]]:
    """Touch ids as staging has them (one-to-one WeCom messages sent, mails, CRM tasks), and as
    int_touch_events holds them."""
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        staged = {row[0] for row in conn.execute(
            "SELECT 'wecom:' || message_id FROM staging.stg_wecom__messages WHERE action = 'send' AND room_id IS NULL "
            "UNION ALL SELECT 'email:' || message_key FROM staging.stg_email__messages "
            "UNION ALL SELECT 'crm:' || task_id FROM staging.stg_crm__tasks").fetchall()}
        classified = {row[0] for row in conn.execute(
            "SELECT touchpoint_id FROM intermediate.int_touch_events").fetchall()}
    return staged, classified


def _assert_same_rows(conn: duckdb.DuckDBPyConnection, table: str, exclude: tuple[str, ...] = ()) -> None:
    """Row for row, exactly, except in the last bits of floating-point columns: a parallel sum of
    doubles (a stage-weighted forecast, say) is summed in whatever order the threads finish."""
    columns = [c for c in conn.execute(f"DESCRIBE full_build.{table}").fetchall() if c[0] not in exclude]
    floating = [name for name, kind, *_ in columns if kind in ("DOUBLE", "FLOAT")]
    order = [name for name, *_ in columns if name not in floating] + floating
    # a list (int_touch_events' behaviour tags) compared as its text: pandas cannot sort lists
    selected = ", ".join(f'"{name}"::VARCHAR AS "{name}"' if kind.endswith("[]") else f'"{name}"'
                         for name, kind, *_ in columns)
    frames = [conn.execute(f"SELECT {selected} FROM {side}.{table}").df().sort_values(order, ignore_index=True)
              for side in ("incremental", "full_build")]
    assert len(frames[0]) == len(frames[1]), f"{table}: {len(frames[0])} rows, the full rebuild has {len(frames[1])}"
    exact = [name for name, *_ in columns if name not in floating]
    pd.testing.assert_frame_equal(frames[0][exact], frames[1][exact], check_exact=True, obj=table)
    pd.testing.assert_frame_equal(frames[0][floating], frames[1][floating], rtol=1e-9, atol=1e-9, obj=table)


def _touch_events(home: Home) -> pd.DataFrame:
    with duckdb.connect(str(home.warehouse), read_only=True) as conn:
        return conn.execute("SELECT * FROM intermediate.int_touch_events").df().sort_values(
            "touchpoint_id", ignore_index=True)


def test_a_changed_setting_classifies_every_held_touch_again(copied_home, tmp_path):
    """int_touch_events keeps each touch's classification across nights; when a setting it was
    classified under changes (here: one more of our mail domains), the next incremental run must
    classify every held touch again and hold what a full rebuild holds."""
    before = _touch_events(copied_home)
    mails = before[before["channel"] == "email"]
    domain_of = mails["sender_id"].str.split("@").str[1]
    ours = sorted(set(domain_of[mails["is_sent_by_us"]]))
    customer_domain = domain_of[~mails["is_sent_by_us"]].value_counts().index[0]
    from_customer_domain = int((domain_of == customer_domain).sum())
    settings = json.dumps({"company_email_domains": ",".join([*ours, customer_domain])})

    incremental = dbt("run", "--select", "int_touch_events", "--vars", settings, target=tmp_path / "inc",
                      home=copied_home)
    assert incremental.returncode == 0, incremental.stdout[-3000:]
    after = _touch_events(copied_home)
    after_mails = after[after["channel"] == "email"]
    now_ours = (after_mails["sender_id"].str.split("@").str[1] == customer_domain) & after_mails["is_sent_by_us"]
    assert int(now_ours.sum()) == from_customer_domain
    assert after["settings_fingerprint"].nunique() == 1
    assert set(after["settings_fingerprint"]) != set(before["settings_fingerprint"])

    rebuilt = dbt("run", "--select", "int_touch_events", "--full-refresh", "--vars", settings,
                  target=tmp_path / "full", home=copied_home)
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]
    # (written_at aside: the run that classified them)
    pd.testing.assert_frame_equal(after.drop(columns="written_at"), _touch_events(copied_home).drop(columns="written_at"),
                                  check_exact=True)
