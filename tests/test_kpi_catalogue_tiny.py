"""Every KPI of the catalogue (kpis.md K01–K28) on the hand-built landing of tiny_landing.py,
run through the real pipeline (`funnel run`: Dagster ingest → dbt build → checks → publish) and
read from the published serving store. Each expected value is worked out by hand from the story
in tiny_landing.py; the comment beside it shows the arithmetic.

As-of instant: the last activity, the call to C3 on 09-30 10:00 (Shanghai)."""

from __future__ import annotations

import subprocess

import duckdb
import pytest

from conftest import BIN, PROJECT_ROOT, Home, command_env
from tiny_landing import write_landing


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Home:
    home = Home(write_landing(tmp_path_factory.mktemp("tiny_home")))
    env = command_env(home)
    completed = subprocess.run([str(BIN / "funnel"), "run"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                               text=True, timeout=900)
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-5000:]
    return home


@pytest.fixture(scope="module")
def q(tiny: Home):
    conn = duckdb.connect(str(tiny.serving), read_only=True)

    def query(sql: str) -> list[tuple]:
        return conn.execute(sql).fetchall()

    yield query
    conn.close()


def one(rows: list[tuple]) -> tuple:
    assert len(rows) == 1, rows
    return rows[0]


def test_every_source_record_resolves_to_its_customer(q):
    # 12 leads' customers + C13 (WeCom only) + C14 (mail only); C1's repeat order joins C1.
    assert one(q("SELECT count(*) FROM dim_customer")) == (14,)
    assert one(q("SELECT count(DISTINCT customer_key) FROM bridge_customer_source_record"
                 " WHERE record_id IN ('crm:lead:00Q000000000001', 'crm:opportunity:006000000000013',"
                 " 'finance:invoice:25310906000000000013', 'finance:bank_receipt:BR0004')")) == (1,)


def test_k01_new_leads_and_k03_effective_leads(q):
    # One lead a day; L02 was created 07-01 16:30Z, i.e. 07-02 00:30 in Shanghai.
    assert q("SELECT day::varchar, channel, new_leads FROM mart_intake_daily WHERE day <= '2025-07-02'"
             " AND new_leads > 0 ORDER BY day") == [("2025-07-01", "Website", 1), ("2025-07-02", "Website", 1)]
    assert dict(q("SELECT channel, sum(new_leads) FROM mart_intake_daily GROUP BY channel HAVING sum(new_leads) > 0")) \
        == {"Website": 5, "Baidu Ads": 3, "Partner Referral": 2, "WeChat": 2}
    # Scores (grade + channel group + mobile 15 + e-mail 10 + company 5 + wrote within 7 days 15):
    # L03 0+5+30 = 35 and L08 20+5+0+0+5 = 30 fall short of 50; L06 0+10+30+15 = 55 and
    # L10 0+10+30+15 = 55 pass only thanks to the customer writing back. 10 of 12 effective.
    assert one(q("SELECT sum(effective_leads), sum(new_leads) FROM mart_intake_daily")) == (10, 12)
    assert dict(q("SELECT channel, sum(effective_leads)::double / sum(new_leads) FROM mart_intake_daily"
                  " GROUP BY channel HAVING sum(new_leads) > 0")) == {
        "Website": 1.0, "Baidu Ads": 1 / 3, "Partner Referral": 1.0, "WeChat": 1.0}
    # A day with spend but no lead has no ratio (NULL, not 0).
    assert one(q("SELECT new_leads, effective_lead_ratio, cost_per_lead FROM mart_intake_daily"
                 " WHERE day = '2025-07-01' AND channel = 'Baidu Ads'")) == (0, None, None)


def test_k02_lead_in_rate(q):
    # First inbound contacts: 12 leads (C6 and C11 filled the form before adding us on WeCom),
    # C13's WeCom add at the Trade Show QR code, C14's mail. All left a usable contact except C8
    # (no mobile, no e-mail, no WeCom) → 13 / 14.
    assert one(q("SELECT sum(usable_inbound_contacts), sum(inbound_contacts) FROM mart_intake_daily")) == (13, 14)
    assert one(q("SELECT usable_inbound_contacts, inbound_contacts, lead_in_rate FROM mart_intake_daily"
                 " WHERE day = '2025-08-10'")) == (0, 1, 0.0)
    assert q("SELECT day::varchar, channel, lead_in_rate FROM mart_intake_daily"
             " WHERE channel IN ('Trade Show', 'Email') ORDER BY day") == [
        ("2025-07-03", "Trade Show", 1.0), ("2025-08-20", "Email", 1.0)]
    assert one(q("SELECT new_leads, inbound_contacts FROM mart_intake_daily WHERE day = '2025-08-01'"
                 " AND channel = 'WeChat'")) == (1, 1)


def test_k04_grade_mix(q):
    # Hot → A: L01 L04 L07 L09 L12; Warm → B: L02 L05 L08 L11; Cold → C: L03 L06 L10.
    assert dict(q("SELECT grade, sum(grade_leads) FROM mart_lead_grade_mix GROUP BY grade")) == {"A": 5, "B": 4, "C": 3}
    assert all(share == 1.0 for (share,) in q("SELECT grade_share FROM mart_lead_grade_mix"))  # one lead a day


def test_k05_cost_per_lead_cac_and_roi(q):
    # Website: spend 100 (07-01) + 50 (08-01), 5 leads → 30 a lead; C1 is its one new customer
    # (first order paid 07-28) → CAC 150; won 10,000 (O01) → ROI 10,000 / 150.
    rows = dict((channel, rest) for channel, *rest in q(
        "SELECT channel, sum(marketing_spend), sum(new_leads), sum(new_customers), sum(won_revenue)"
        " FROM mart_intake_daily GROUP BY channel"))
    assert rows["Website"] == [150, 5, 1, 10000]
    assert rows["Baidu Ads"] == [200, 3, 1, 20000]  # C4 first paid in full 09-01 00:30 Shanghai
    assert rows["Partner Referral"] == [30, 2, 1, 30000]  # CRM amount of O09, not the invoice
    assert rows["Existing Customer"] == [0, 0, 0, 5000]  # O13, a repeat order: no spend, no ROI
    assert one(q("SELECT cost_per_lead, channel_roi FROM mart_intake_daily WHERE day = '2025-07-01'"
                 " AND channel = 'Website'")) == (100.0, 0.0)
    assert one(q("SELECT new_customers, customer_acquisition_cost FROM mart_intake_daily"
                 " WHERE day = '2025-09-01' AND channel = 'Baidu Ads'")) == (1, 0.0)
    assert one(q("SELECT won_revenue, channel_roi FROM mart_intake_daily WHERE day = '2025-09-05'"
                 " AND channel = 'Existing Customer'")) == (5000, None)


def test_k06_k07_response_time_and_sla(q):
    # Minutes to the first genuine response: L01 3 (A ≤ 5 ✓), L02 60 (B ≤ 60 ✓), L03 180 (C ✓),
    # L04 30 (A ✗), L05 20 (B ✓), L06 520 — the 09:01 WeCom welcome is an auto-reply, the 09:10
    # chat counts (C ✓), L07 10 (A ✗), L08 never (✗), L09 2 (A ✓), L10 180 by mail (C ✓),
    # L11 120 (B ✗), L12 4 (A ✓) → 8 of 12 within SLA.
    assert one(q("SELECT sum(leads), sum(responded_leads), sum(sla_met_leads) FROM mart_response")) == (12, 11, 8)
    assert one(q("SELECT channel, owner_rep_id, grade, response_minutes_mean, sla_attainment_rate FROM mart_response"
                 " WHERE created_date = '2025-07-02'")) == ("Website", "zhangmin", "B", 60.0, 1.0)
    assert one(q("SELECT response_minutes_median FROM mart_response WHERE created_date = '2025-08-01'")) == (520.0,)
    assert one(q("SELECT responded_leads, response_minutes_mean, sla_attainment_rate FROM mart_response"
                 " WHERE created_date = '2025-08-10'")) == (0, None, 0.0)
    by_grade = dict((grade, (met, leads)) for grade, met, leads in q(
        "SELECT grade, sum(sla_met_leads), sum(leads) FROM mart_response GROUP BY grade"))
    assert by_grade == {"A": (3, 5), "B": (2, 4), "C": (3, 3)}


def test_k08_sleep_rate_and_k27_stale_leads(q):
    # Open as of 09-30: L03 (called that morning: 0 idle days), L06 (last touch 08-01: 60),
    # L08 (never touched, created 08-10: 51), L10 (customer wrote 09-02: 28). L05 and L11 closed.
    assert one(q("SELECT sum(open_leads), sum(sleeping_leads) FROM mart_lead_sleep")) == (4, 3)
    # Stale: open A/B leads idle ≥ 3 days → only L08 (B).
    assert q("SELECT lead_id, grade, idle_days, owner_rep_id FROM mart_alert_stale_leads") == [
        ("00Q000000000008", "B", 51, "liqiang")]


def test_k09_stage_conversion_counts_skipped_stages(q):
    # July Baidu: L03 stayed a lead, L04 went intent → negotiation → won, skipping proposal.
    assert q("SELECT step, reached_to_count, reached_from_count, stage_conversion_rate FROM mart_stage_conversion"
             " WHERE cohort_month = '2025-07-01' AND channel = 'Baidu Ads' ORDER BY step") == [
        (1, 1, 2, 0.5), (2, 1, 1, 1.0), (3, 1, 1, 1.0), (4, 1, 1, 1.0)]
    # L06 (created 07-31 16:30Z) belongs to the August cohort; nothing else of WeChat in July.
    assert q("SELECT cohort_month::varchar, reached_from_count FROM mart_stage_conversion"
             " WHERE channel = 'WeChat' AND step = 1 ORDER BY cohort_month") == [("2025-08-01", 1), ("2025-09-01", 1)]
    # Zero denominators are NULL: the August WeChat lead never reached intent.
    assert one(q("SELECT reached_from_count, stage_conversion_rate FROM mart_stage_conversion"
                 " WHERE cohort_month = '2025-08-01' AND channel = 'WeChat' AND step = 2")) == (0, None)


def test_k10_lead_to_opportunity_and_k12_quote_conversion(q):
    # Converted: L01 L02 L04 L05 (July 4/5), L07 L09 (August 2/4), L12 (September 1/3).
    assert q("SELECT cohort_month::varchar, sum(converted_leads), sum(leads) FROM mart_funnel_cohort"
             " GROUP BY cohort_month ORDER BY cohort_month") == [
        ("2025-07-01", 4, 5), ("2025-08-01", 2, 4), ("2025-09-01", 1, 3)]
    # Reached proposal: O01 O02 O04 (skipped it) O07 (re-opened) O09 O13; won: O01 O04 O09 O13 → 4/6.
    assert one(q("SELECT sum(won_after_proposal), sum(reached_proposal) FROM mart_funnel_cohort")) == (4, 6)
    assert one(q("SELECT quote_conversion_rate FROM mart_funnel_cohort WHERE channel = 'Existing Customer'")) == (1.0,)


def test_k11_win_rate_and_k14_sales_cycle(q):
    # July: O01 won 10,000, O02 lost 8,000; August: O04 won 20,000; September: O09 30,000 and O13
    # 5,000 won. O07 was lost on 08-19 but re-opened, so it is not a loss.
    assert q("SELECT closed_month::varchar, sum(won_deals), sum(closed_deals), sum(won_amount), sum(closed_amount)"
             " FROM mart_win_rate GROUP BY closed_month ORDER BY closed_month") == [
        ("2025-07-01", 1, 2, 10000, 18000), ("2025-08-01", 1, 1, 20000, 20000), ("2025-09-01", 2, 2, 35000, 35000)]
    assert one(q("SELECT win_rate_by_count, win_rate_by_amount FROM mart_win_rate WHERE closed_month = '2025-07-01'")) \
        == (0.5, 10000 / 18000)
    # Cycles of the wins: O01 lead 07-01 → won 07-25 = 24 days, opportunity 07-03 → 22; O04 27 and
    # 25; O09 26 and 25; O13 (no lead) 16 from its opportunity.
    assert one(q("SELECT sales_cycle_days_from_lead_mean, sales_cycle_days_from_opportunity_mean FROM mart_win_rate"
                 " WHERE closed_month = '2025-07-01'")) == (24.0, 22.0)
    assert one(q("SELECT sales_cycle_days_from_lead_median, sales_cycle_days_from_opportunity_median"
                 " FROM mart_win_rate WHERE channel = 'Baidu Ads'")) == (27.0, 25.0)
    assert one(q("SELECT won_deals_from_leads, sales_cycle_days_from_lead_mean, sales_cycle_days_from_opportunity_mean"
                 " FROM mart_win_rate WHERE channel = 'Existing Customer'")) == (0, None, 16.0)


def test_k13_stage_dwell(q):
    # Intent visits ended in July: O01 7 days, O02 10, O04 10 → mean 9, median 10, p90 10.
    assert one(q("SELECT completed_visits, dwell_days_mean, dwell_days_median, dwell_days_p90 FROM mart_stage_dwell"
                 " WHERE exited_month = '2025-07-01' AND stage = 'intent'")) == (3, 9.0, 10.0, 10.0)
    # Lead stage in July: L01 2 days, L02 07-02 00:30 → 07-04 10:00 = 2 + 9.5/24, L04 2.
    count, mean = one(q("SELECT completed_visits, dwell_days_mean FROM mart_stage_dwell"
                        " WHERE exited_month = '2025-07-01' AND stage = 'lead'"))
    assert count == 3 and mean == pytest.approx((2 + (2 + 9.5 / 24) + 2) / 3, abs=1e-9)
    # Proposal in September: O07's second visit 10 days, O13 11 → 10.5. Lost is terminal: no row.
    assert one(q("SELECT dwell_days_mean FROM mart_stage_dwell WHERE exited_month = '2025-09-01'"
                 " AND stage = 'proposal'")) == (10.5,)
    assert q("SELECT * FROM mart_stage_dwell WHERE stage IN ('lost', 'won')") == []


def test_k15_follow_up_frequency_and_k16_interaction_rate(q):
    rows = {(week, rep): rest for week, rep, *rest in q(
        "SELECT week_start::varchar, rep_id, open_leads, follow_up_touches, outbound_messages, replied_messages"
        " FROM mart_engagement_weekly")}
    # Week of 06-30: zhangmin's L01 and L02 got one call each; liqiang's L03 and L04 too; liqiang's
    # WeCom chat to C13 on 07-03 was answered only on 07-07 (more than 72 h).
    assert rows[("2025-06-30", "zhangmin")] == [2, 2, 0, 0]
    assert rows[("2025-06-30", "liqiang")] == [2, 2, 1, 0]
    # Week of 07-07: liqiang's L03, L04 (until converted) and L05 were open; only L05 got a call.
    # zhangmin had no open lead but mailed C1 the quote (no reply).
    assert rows[("2025-07-07", "liqiang")] == [3, 1, 0, 0]
    assert rows[("2025-07-07", "zhangmin")] == [0, 0, 1, 0]
    # Week of 07-28: L06 (opened 08-01 00:30) got the 09:10 chat (the 09:01 auto-reply does not
    # count) and C6 answered at 20:00.
    assert rows[("2025-07-28", "zhangmin")] == [1, 1, 1, 1]
    # K16 over everything: E1 ✗, M6 ✗ (4 days), M2 ✓, E2 ✓ (answered by mail 21 h later), M4 ✗ → 2/5.
    assert one(q("SELECT sum(replied_messages), sum(outbound_messages) FROM mart_engagement_weekly")) == (2, 5)
    assert one(q("SELECT follow_up_frequency FROM mart_engagement_weekly WHERE week_start = '2025-07-07'"
                 " AND rep_id = 'liqiang'")) == (1 / 3,)


def test_k17_lead_churn(q):
    # Open at 08-01 00:00: L03 and L05 (dropped 07-15, re-opened 07-20, converted 08-01); neither
    # customer wrote in 08-02…08-31 → 2/2. Open at 09-01 00:00: L03, L06, L08 → none wrote in
    # September → 3/3, month not complete as of 09-30.
    assert q("SELECT month::varchar, sum(churned_leads), sum(leads_open_at_start), bool_and(is_complete_month)"
             " FROM mart_lead_churn_monthly GROUP BY month ORDER BY month") == [
        ("2025-08-01", 2, 2, True), ("2025-09-01", 3, 3, False)]


def test_k18_gate_compliance(q):
    # Advances: 7 into intent and 5 into proposal (ungated); negotiation: O01 (quote mailed 07-09)
    # ✓, O04 ✗, O07 ✗, O09 (quote call 08-25) ✓; won: O01 ✓, O04 ✗, O09 ✓, O13 ✓ (C1's contract
    # call of 07-24). O07's move back from lost into proposal is not an advance.
    assert dict((stage, (ok, n)) for stage, ok, n in q(
        "SELECT to_stage, sum(compliant_advances), sum(advances) FROM mart_gate_compliance GROUP BY to_stage")) == {
        "intent": (7, 7), "proposal": (5, 5), "negotiation": (2, 4), "won": (3, 4)}
    assert one(q("SELECT gate_compliance_rate FROM mart_gate_compliance WHERE moved_month = '2025-08-01'"
                 " AND to_stage = 'won'")) == (0.0,)


def test_k19_revisit_rate(q):
    # O01 won 07-25: day 7 (07-29…08-04) covered by the 08-01 call, day 30 (08-21…08-27) not.
    # O04 won 08-02: day 7 (08-06…08-12) covered by the call at 23:30 on 08-12; day 30
    # (08-29…09-04) missed — the call at 00:30 on 09-05 is a day late in Shanghai. O09 and O13
    # won in September: day 7 due, not covered. Day 90 not due for anyone as of 09-30.
    assert q("SELECT won_month::varchar, owner_rep_id, checkpoint_days, covered_checkpoints, due_checkpoints"
             " FROM mart_revisit ORDER BY won_month, checkpoint_days") == [
        ("2025-07-01", "zhangmin", 7, 1, 1), ("2025-07-01", "zhangmin", 30, 0, 1),
        ("2025-08-01", "liqiang", 7, 1, 1), ("2025-08-01", "liqiang", 30, 0, 1),
        ("2025-09-01", "zhangmin", 7, 0, 2)]
    assert one(q("SELECT sum(covered_checkpoints)::double / sum(due_checkpoints) FROM mart_revisit")) == (1 / 3,)


def test_k20_to_k23_revenue_and_customer_value(q):
    rows = {month: rest for month, *rest in q(
        "SELECT month::varchar, paid_revenue, paying_customers, paid_orders, paid_order_amount, new_customers,"
        " referred_new_customers, crm_won_amount, invoiced_amount, crm_invoice_gap, customers_to_date,"
        " repeat_customers_to_date, revenue_to_date, paying_customers_to_date FROM mart_revenue_monthly")}
    assert rows["2025-07-01"] == [10000, 1, 1, 10000, 1, 0, 10000, 10000, 0, 1, 0, 10000, 1]
    # C4 paid the first half only: revenue but no paid order, no new customer.
    assert rows["2025-08-01"] == [10000, 1, 0, 0, 0, 0, 20000, 20000, 0, 1, 0, 20000, 2]
    # BR0003 at 00:30 on 09-01 completes C4's order in September; C1's second order makes C1 a
    # repeat customer; C9 (Partner Referral) is referred; O09 was invoiced 2,000 below its CRM amount.
    assert rows["2025-09-01"] == [43000, 3, 3, 53000, 2, 1, 35000, 33000, 2000, 3, 1, 63000, 3]
    sept = one(q("SELECT revenue_per_paying_customer, average_order_value, referral_rate, repeat_purchase_rate,"
                 " clv_historical_per_customer FROM mart_revenue_monthly WHERE month = '2025-09-01'"))
    assert sept == pytest.approx((43000 / 3, 53000 / 3, 0.5, 1 / 3, 21000.0), abs=1e-9)
    assert one(q("SELECT average_order_value, referral_rate FROM mart_revenue_monthly WHERE month = '2025-08-01'")) \
        == (None, None)
    # K21 per customer: 4 paid orders / 3 customers in the trailing year; lifespan 3 years.
    value = {row[0]: row[1:] for row in q(
        "SELECT c.company_name, v.paid_orders, v.is_repeat_customer, v.clv_historical FROM mart_customer_value v"
        " JOIN dim_customer c USING (customer_key)")}
    assert value == {"甲科技有限公司": (2, True, 15000), "丁咨询有限公司": (1, False, 20000),
                     "壬医疗有限公司": (1, False, 28000)}
    predictive = dict(q("SELECT c.company_name, v.clv_predictive FROM mart_customer_value v"
                        " JOIN dim_customer c USING (customer_key)"))
    assert predictive == pytest.approx({"甲科技有限公司": 7500 * 4 / 3 * 3, "丁咨询有限公司": 20000 * 4 / 3 * 3,
                                        "壬医疗有限公司": 28000 * 4 / 3 * 3}, rel=1e-12)


def test_k24_forecast_and_accuracy(q):
    # P(won | stage), from opportunities that entered the stage and closed: intent O01 O02 O04 O09
    # O13 → 4/5; proposal O01 O02 O09 O13 → 3/4; negotiation O01 O04 O09 → 3/3.
    # Open: O05 and O12 in intent (liqiang, 24,000), O07 in negotiation (zhangmin, 12,000).
    assert q("SELECT stage, owner_rep_id, open_opportunities, open_amount, win_probability, weighted_amount"
             " FROM mart_forecast ORDER BY stage") == [
        ("intent", "liqiang", 2, 24000, 0.8, 19200.0), ("negotiation", "zhangmin", 1, 12000, 1.0, 12000.0)]
    # At 08-01 00:00 only O04 was open, in negotiation, expected to close 08-10 → 20,000 × 1.0,
    # against 20,000 won in August. At 09-01 00:00: O05 intent (closing 09-30) 15,000 × 0.8, O09
    # negotiation (09-10) 30,000 × 1.0, O13 proposal (09-05) 5,000 × 0.75; O07's proposal was
    # expected 10-15 → 45,750 against 35,000 won.
    rows = q("SELECT month::varchar, forecast_opportunities, forecast_amount, actual_won_amount, forecast_accuracy,"
             " is_complete_month FROM mart_forecast_accuracy ORDER BY month")
    assert rows == [("2025-07-01", 0, 0.0, 10000, 0.0, True), ("2025-08-01", 1, 20000.0, 20000, 1.0, True),
                    ("2025-09-01", 3, 45750.0, 35000, 45750 / 35000, False)]


def test_k25_rep_leaderboard(q):
    rows = {(month, rep): rest for month, rep, *rest in q(
        "SELECT month::varchar, rep_id, leads, response_minutes_median, sla_attainment_rate, lead_to_won_rate,"
        " win_rate, follow_up_frequency, revisit_rate, won_revenue, revenue_rank FROM mart_rep_leaderboard")}
    # July, zhangmin: L01 (3 min) and L02 (60) within SLA, median 31.5; L01 won of 2 journeys;
    # O01 won, O02 lost; one follow-up of L06 in the week of 07-28; revisits 1 of 2; 10,000 won.
    assert rows[("2025-07-01", "zhangmin")] == [2, 31.5, 1.0, 0.5, 0.5, 1.0, 0.5, 10000, 1]
    # July, liqiang: L03 180 ✓, L04 30 ✗, L05 20 ✓ → median 30, 2/3; L04 won of 3 journeys;
    # nothing closed in July; weeks of 07-07 (1/3), 07-14 (0/2: L03 and L05 until 07-16), 07-21
    # (0/2: L03, L05 again), 07-28 (0/2) → 1/9.
    assert rows[("2025-07-01", "liqiang")] == [3, 30.0, 2 / 3, 1 / 3, None, 1 / 9, None, 0, 2]
    assert rows[("2025-09-01", "zhangmin")][-2:] == [35000, 1]


def test_k26_stuck_deals(q):
    # p90 of completed visits: intent (3, 5, 5, 7, 10, 10) → 10; negotiation (5, 10, 15) → 14.
    # As of 09-30 10:00: O05 in intent 60 days, O12 19 days, O07 in negotiation 22 days.
    assert q("SELECT opportunity_id, stage, days_in_stage, stage_p90_dwell_days, owner_rep_id"
             " FROM mart_alert_stuck_deals ORDER BY opportunity_id") == [
        ("006000000000005", "intent", 60.0, 10.0, "liqiang"),
        ("006000000000007", "negotiation", 22.0, 14.0, "zhangmin"),
        ("006000000000012", "intent", 19.0, 10.0, "liqiang")]


def test_k28_historical_pipeline(q):
    # End of 07-15: L04 in intent (20,000), O01 and O02 in proposal (10,000 + 8,000).
    assert q("SELECT stage, open_opportunities, open_amount, weighted_amount FROM mart_pipeline_daily"
             " WHERE day = '2025-07-15' ORDER BY stage_order") == [
        ("intent", 1, 20000, 16000.0), ("proposal", 2, 18000, 13500.0), ("negotiation", 0, 0, 0.0)]
    # End of 08-20: O05, O09 and O13 (entered 10:00 that day) in intent; O07 is lost (not pipeline).
    assert q("SELECT stage, open_opportunities, open_amount FROM mart_pipeline_daily WHERE day = '2025-08-20'"
             " ORDER BY stage_order") == [("intent", 3, 50000), ("proposal", 0, 0), ("negotiation", 0, 0)]
    # One row per stage for every day from the first opportunity (07-03) to the as-of day.
    assert one(q("SELECT min(day)::varchar, max(day)::varchar, count(*) FROM mart_pipeline_daily")) == (
        "2025-07-03", "2025-09-30", 90 * 3)


def test_reopened_lead_and_deal(tiny: Home):
    """L05 was dropped and worked again (two open spells); O07 was lost and re-opened (a move
    out of lost, and an open deal rather than a loss)."""
    with duckdb.connect(str(tiny.warehouse), read_only=True) as conn:
        spells = conn.execute(
            "SELECT strftime(opened_at AT TIME ZONE 'Asia/Shanghai', '%m-%d %H:%M'),"
            " strftime(closed_at AT TIME ZONE 'Asia/Shanghai', '%m-%d %H:%M')"
            " FROM intermediate.int_lead_spells WHERE lead_id = '00Q000000000005' ORDER BY spell_number").fetchall()
        reopened = conn.execute("SELECT from_stage, to_stage FROM marts.fct_stage_transitions"
                                " WHERE is_reopened").fetchall()
    # Open from creation to the end of the day it was seen dropped, then from the end of the
    # day it was seen worked again to the end of the day it was converted (Shanghai).
    assert spells == [("07-10 11:00", "07-16 00:00"), ("07-21 00:00", "08-02 00:00")]
    assert reopened == [("lost", "proposal")]


def test_reps_and_channels_roll_up_to_teams_and_groups(q):
    # Both reps are on team 华东一组: July's leaderboard rolls up to one team row.
    assert q("SELECT r.team, sum(l.won_revenue), sum(l.leads) FROM mart_rep_leaderboard l JOIN dim_rep r USING (rep_id)"
             " WHERE l.month = '2025-07-01' GROUP BY r.team") == [("华东一组", 10000, 5)]
    # Every channel a mart names has a group: 12 leads over 广告 3, 自然流量 5, 转介绍 2, 企业微信 2.
    assert dict(q("SELECT c.channel_group, sum(i.new_leads) FROM mart_intake_daily i JOIN dim_channel c USING (channel)"
                  " GROUP BY c.channel_group HAVING sum(i.new_leads) > 0")) == {
        "广告": 3, "自然流量": 5, "转介绍": 2, "企业微信": 2}
    assert q("SELECT DISTINCT channel FROM mart_intake_daily WHERE channel NOT IN (SELECT channel FROM dim_channel)") == []
