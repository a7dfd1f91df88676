{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key=['customer_key', 'week_start', 'rep_id'],
          on_schema_change='sync_all_columns',
          changed_rows_scope_column='customer_key',
          post_hook="{{ write_build_mark(customer_follow_ups_fingerprint()) }}") }}
{#- K15 follow-ups 跟进频次 per customer: the genuine outbound touches to a customer in each local
    week (Asia/Shanghai) made while a lead of the customer owned by the rep was open, per rep. A
    touch counts once per rep however many of the rep's leads of the customer were open; a lead
    without an owner counts for 'unassigned'. mart_engagement_weekly sums these rows per week and
    rep (a touch belongs to one customer, so the sums count each touch once).

    Incremental, exact against a full rebuild: a night computes only the customers whose touches
    or lead spells changed since the last build (customer_follow_ups_scope); the mart reads these
    rows instead of matching six million touches with the spells every night. -#}
{% set scope = changed_rows_scope_query(customer_follow_ups_scope()) %}
with {{ scope_cte(scope) }}

spells as (
    select customer_key, coalesce(owner_rep_id, 'unassigned') as rep_id, opened_at, closed_at
    from {{ ref('int_lead_spells') }}
    where customer_key is not null
      and {{ in_scope(scope, 'customer_key', 'customer_key') }}
),

touches as (
    select touchpoint_id, customer_key, occurred_at
    from {{ ref('int_touchpoints') }}
    where customer_key is not null
      and is_genuine_outbound
      and {{ in_scope(scope, 'customer_key', 'customer_key') }}
)

select
    touches.customer_key,
    {{ local_week('touches.occurred_at') }} as week_start,
    spells.rep_id,
    count(distinct touches.touchpoint_id) as follow_up_touches
from touches
inner join spells
    on spells.customer_key = touches.customer_key
    and touches.occurred_at >= spells.opened_at
    and (spells.closed_at is null or touches.occurred_at < spells.closed_at)
group by 1, 2, 3
