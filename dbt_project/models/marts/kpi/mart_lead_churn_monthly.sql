{#- K17 lead churn 线索流失率 per month (Asia/Shanghai), owner and channel: leads open at the
    month's start with no two-way interaction (both a message from the customer and a genuine
    touch from us) in the month's last var('lead_churn_window_days') days ÷ leads open at the
    month's start. -#}
with spells as (
    select * from {{ ref('int_lead_spells') }}
),

as_of as (
    select as_of_at from {{ ref('int_as_of') }}
),

month_bounds as (
    {{ local_periods('month',
        "(select " ~ local_date('min(opened_at)') ~ " from spells)",
        "(select " ~ local_date('as_of_at') ~ " from as_of)") }}
),

{#- A lead's spells never overlap (int_lead_spells' intervals_do_not_overlap test), so a lead
    is open at a month's start in at most one spell: no distinct needed. -#}
open_at_start as (
    select
        month_bounds.month,
        month_bounds.month_end_at,
        spells.lead_id,
        spells.customer_key,
        spells.owner_rep_id,
        spells.channel
    from month_bounds
    inner join spells
        on spells.opened_at <= month_bounds.month_start_at
        and (spells.closed_at is null or spells.closed_at > month_bounds.month_start_at)
),

{#- The customers with a two-way interaction in a month's closing window, kept per customer and
    month for the customers whose touches changed (int_customer_two_way_months). -#}
two_way_months as (
    select customer_key, month from {{ ref('int_customer_two_way_months') }}
),

judged as (
    select
        open_at_start.*,
        two_way_months.month is not null as had_two_way_interaction
    from open_at_start
    left join two_way_months
        on two_way_months.customer_key = open_at_start.customer_key
        and two_way_months.month = open_at_start.month
)

select
    judged.month,
    judged.owner_rep_id,
    judged.channel,
    count(*) as leads_open_at_start,
    {{ count_where('not had_two_way_interaction') }} as churned_leads,
    {{ safe_divide(count_where('not had_two_way_interaction'), 'count(*)') }} as lead_churn_rate,
    max(judged.month_end_at) <= max(as_of.as_of_at) as is_complete_month
from judged
cross join as_of
group by judged.month, judged.owner_rep_id, judged.channel
