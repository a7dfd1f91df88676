{#- K25 rep leaderboard 各销售转化率排行 per month (Asia/Shanghai) and rep, from the KPI marts
    each measure comes from, so every figure equals its own mart: K06 (leads created in the
    month), K09 lead→won conversion (journeys created in the month), K11 (deals closed in the
    month), K15 (weeks starting in the month), K19 (deals won in the month), won revenue. -#}
with responses as (
    select
        {{ local_month('created_at') }} as month,
        owner_rep_id as rep_id,
        count(*) as leads,
        {{ count_where('responded_within_sla') }} as sla_met_leads,
        {{ percentile_cont('response_minutes', 0.5) }} as response_minutes_median
    from {{ ref('int_lead_first_response') }}
    group by 1, 2
),

conversion as (
    select
        cohort_month as month,
        owner_rep_id as rep_id,
        count(*) as journeys,
        {{ count_where('is_won') }} as won_journeys
    from {{ ref('int_journey_outcomes') }}
    group by 1, 2
),

deals as (
    select
        closed_month as month,
        owner_rep_id as rep_id,
        sum(won_deals) as won_deals,
        sum(closed_deals) as closed_deals,
        sum(won_amount) as won_revenue
    from {{ ref('mart_win_rate') }}
    group by 1, 2
),

follow_ups as (
    select
        cast({{ dbt.date_trunc('month', 'week_start') }} as date) as month,
        rep_id,
        sum(follow_up_touches) as follow_up_touches,
        sum(open_leads) as open_lead_weeks
    from {{ ref('mart_engagement_weekly') }}
    group by 1, 2
),

revisits as (
    select
        won_month as month,
        owner_rep_id as rep_id,
        sum(covered_checkpoints) as covered_checkpoints,
        sum(due_checkpoints) as due_checkpoints
    from {{ ref('mart_revisit') }}
    group by 1, 2
),

reps as (
    select month, rep_id from responses
    union select month, rep_id from conversion
    union select month, rep_id from deals
    union select month, rep_id from follow_ups
    union select month, rep_id from revisits
),

joined as (
    select
        reps.month,
        reps.rep_id,
        coalesce(responses.leads, 0) as leads,
        responses.response_minutes_median,
        coalesce(responses.sla_met_leads, 0) as sla_met_leads,
        coalesce(conversion.journeys, 0) as journeys,
        coalesce(conversion.won_journeys, 0) as won_journeys,
        cast(coalesce(deals.won_deals, 0) as {{ dbt.type_bigint() }}) as won_deals,
        cast(coalesce(deals.closed_deals, 0) as {{ dbt.type_bigint() }}) as closed_deals,
        cast(coalesce(follow_ups.follow_up_touches, 0) as {{ dbt.type_bigint() }}) as follow_up_touches,
        cast(coalesce(follow_ups.open_lead_weeks, 0) as {{ dbt.type_bigint() }}) as open_lead_weeks,
        cast(coalesce(revisits.covered_checkpoints, 0) as {{ dbt.type_bigint() }}) as covered_checkpoints,
        cast(coalesce(revisits.due_checkpoints, 0) as {{ dbt.type_bigint() }}) as due_checkpoints,
        coalesce(deals.won_revenue, 0) as won_revenue
    from reps
    left join responses on responses.month = reps.month and responses.rep_id = reps.rep_id
    left join conversion on conversion.month = reps.month and conversion.rep_id = reps.rep_id
    left join deals on deals.month = reps.month and deals.rep_id = reps.rep_id
    left join follow_ups on follow_ups.month = reps.month and follow_ups.rep_id = reps.rep_id
    left join revisits on revisits.month = reps.month and revisits.rep_id = reps.rep_id
)

select
    month,
    rep_id,
    leads,
    response_minutes_median,
    sla_met_leads,
    {{ safe_divide('sla_met_leads', 'leads') }} as sla_attainment_rate,
    journeys,
    won_journeys,
    {{ safe_divide('won_journeys', 'journeys') }} as lead_to_won_rate,
    won_deals,
    closed_deals,
    {{ safe_divide('won_deals', 'closed_deals') }} as win_rate,
    follow_up_touches,
    open_lead_weeks,
    {{ safe_divide('follow_up_touches', 'open_lead_weeks') }} as follow_up_frequency,
    covered_checkpoints,
    due_checkpoints,
    {{ safe_divide('covered_checkpoints', 'due_checkpoints') }} as revisit_rate,
    won_revenue,
    cast(rank() over (partition by month order by won_revenue desc) as integer) as revenue_rank
from joined
