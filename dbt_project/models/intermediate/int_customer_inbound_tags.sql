{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key=['customer_key', 'tag'], on_schema_change='sync_all_columns',
          changed_rows_scope_column='customer_key',
          post_hook="{{ write_build_mark(unstamped_inputs_fingerprint([])) }}") }}
{#- How many of each customer's inbound messages carry each behaviour keyword tag: the tags
    int_touch_events found in the message once, when it classified it (behaviour_tags), counted
    over the customer's inbound touches (int_touchpoints). int_customer_behaviour_tags keeps the
    counts that reach a rule's minimum.

    Incremental, exact against a full rebuild: a night computes only the customers whose touches
    changed, or who have a touch whose event was classified since the last build
    (customer_inbound_tags_scope). -#}
{% set scope = changed_rows_scope_query(customer_inbound_tags_scope()) %}
with {{ scope_cte(scope) }}

inbound as (
    select customer_key, touchpoint_id from {{ ref('int_touchpoints') }}
    where direction = 'in' and customer_key is not null and {{ in_scope(scope, 'customer_key', 'customer_key') }}
)

select inbound.customer_key, tagged.tag, count(*) as inbound_messages
from inbound
inner join (
    select touchpoint_id, unnest(behaviour_tags) as tag
    from {{ ref('int_touch_events') }}
    where behaviour_tags is not null
) as tagged on tagged.touchpoint_id = inbound.touchpoint_id
group by inbound.customer_key, tagged.tag
