{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key='touchpoint_id',
          on_schema_change='sync_all_columns',
          changed_rows_scope_column='customer_key',
          post_hook="{{ write_build_mark(outbound_message_replies_fingerprint()) }}") }}
{#- K16 内容互动率 per message: each genuine outbound chat and mail to a known customer, its local
    week (Asia/Shanghai) and sender ('unassigned' without one), when its reply window of
    var('interaction_reply_hours') closes, and whether the customer answered in the same channel
    within it. mart_engagement_weekly counts the messages whose window has closed by the data's
    as-of instant; a reply that lands later is a new touch of the customer, whose messages are
    then computed again.

    Incremental, exact against a full rebuild: a night computes only the customers whose touches
    changed since the last build (outbound_message_replies_scope). -#}
{% set scope = changed_rows_scope_query(outbound_message_replies_scope()) %}
with {{ scope_cte(scope) }}

touches as (
    select touchpoint_id, customer_key, channel, direction, is_genuine_outbound, rep_id, occurred_at
    from {{ ref('int_touchpoints') }}
    where customer_key is not null
      and {{ in_scope(scope, 'customer_key', 'customer_key') }}
),

messages as (
    select *, {{ dbt.dateadd('hour', var('interaction_reply_hours'), 'occurred_at') }} as reply_window_ends_at
    from touches
    where is_genuine_outbound and channel in ('wecom', 'email')
)

select
    messages.touchpoint_id,
    messages.customer_key,
    {{ local_week('messages.occurred_at') }} as week_start,
    coalesce(messages.rep_id, 'unassigned') as rep_id,
    messages.reply_window_ends_at,
    exists (
        select 1 from touches as replies
        where replies.customer_key = messages.customer_key
          and replies.channel = messages.channel
          and replies.direction = 'in'
          and replies.occurred_at > messages.occurred_at
          and replies.occurred_at <= messages.reply_window_ends_at
    ) as got_reply
from messages
