{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key=['customer_key', 'month'], on_schema_change='sync_all_columns',
          changed_rows_scope_column='customer_key',
          post_hook="{{ write_build_mark(customer_two_way_months_fingerprint()) }}") }}
{#- The local months (Asia/Shanghai) in whose closing window of var('lead_churn_window_days')
    days a customer had a two-way interaction: a message from the customer and a genuine touch
    from us (K17, mart_lead_churn_monthly). A touch counts for every month whose window holds
    it: its own month, and the next ones when the window is longer than a month (a touch on
    30 January falls in the last 30 days of February).

    Incremental, exact against a full rebuild: a night computes only the customers whose touches
    changed since the last build (customer_two_way_months_scope); the mart reads these rows
    instead of matching six million touches with the months every night. -#}
{% set window_days = var('lead_churn_window_days') | int %}
{% set scope = changed_rows_scope_query(customer_two_way_months_scope()) %}
with {{ scope_cte(scope) }}

touches as (
    select customer_key, occurred_at, direction, is_genuine_outbound, {{ local_month('occurred_at') }} as own_month
    from {{ ref('int_touchpoints') }}
    where customer_key is not null
      and (direction = 'in' or is_genuine_outbound)
      and {{ in_scope(scope, 'customer_key', 'customer_key') }}
),

{#- each touch with the months from its own to the last whose window can reach back to it (a
    month is at least 28 days) -#}
candidates as (
    select
        touches.*,
        cast({{ dbt.dateadd('month', 'later.months', 'touches.own_month') }} as date) as month
    from touches
    cross join generate_series(0, {{ (window_days + 27) // 28 }}) as later(months)
)

select customer_key, month
from candidates
where occurred_at >= {{ dbt.dateadd('day', -window_days, local_day_start(dbt.dateadd('month', 1, 'month'))) }}
  and occurred_at < {{ local_day_start(dbt.dateadd('month', 1, 'month')) }}
group by customer_key, month
having bool_or(direction = 'in') and bool_or(is_genuine_outbound)
