{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key='customer_key', on_schema_change='sync_all_columns',
          changed_rows_scope_column='customer_key',
          post_hook="{{ write_build_mark(unstamped_inputs_fingerprint([])) }}") }}
{#- Each customer's touches summed up once (int_touchpoints): first and last, how many, how many
    inbound, and the rep of the latest outbound one. dim_customer's activity and the behaviour
    tags read these instead of six million touches.

    Incremental, exact against a full rebuild: a night computes only the customers whose touches
    changed since the last build (customer_touches_scope). -#}
{% set scope = changed_rows_scope_query(customer_touches_scope()) %}
with {{ scope_cte(scope) }}

touches as (
    select * from {{ ref('int_touchpoints') }}
    where customer_key is not null and {{ in_scope(scope, 'customer_key', 'customer_key') }}
)

select
    customer_key,
    min(occurred_at) as first_touch_at,
    max(occurred_at) as last_touch_at,
    count(*) as touchpoints,
    count(*) filter (where direction = 'in') as inbound_touchpoints,
    -- the latest outbound touch's rep; of two at the same instant, the same one every run
    -- (time above bit 64, the touch id's hash below: a fixed-size key, six million touches)
    arg_max(rep_id, (epoch_us(occurred_at)::hugeint << 64) + hash(touchpoint_id))
        filter (where direction = 'out') as last_touch_rep_id
from touches
group by customer_key
