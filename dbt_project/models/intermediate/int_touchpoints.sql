{{ config(
    materialized='incremental',
    incremental_strategy='changed_rows',
    unique_key='touchpoint_id',
    on_schema_change='sync_all_columns',
    stamp_column='written_at',
    removed_log=true,
    removed_log_columns=['customer_key'],
    changed_rows_scope_column='touchpoint_id',
    post_hook=[
        "{{ keep_removed_log() }}",
        "{{ delete_logged(touchpoints_without_event()) }}",
        "{{ write_build_mark(touch_context_fingerprint()) }}",
    ],
) }}
{#- Interactions from every channel (int_touch_events), with the source record of the customer
    side, so the core mart can attach the customer. Direction: `out` when our side (a rep)
    initiated it: mail from our domains and CRM tasks as the event says, a WeCom message when its
    sender is a rep of the contact export. A WeCom message recalled later is left out. The rep is
    the roster's rep_id (int_sales_rep_aliases), or the system's own id for someone not on the
    roster; customer_key is the customer of the customer-side record (int_identity__components).
    is_genuine_outbound marks what our side sent that is not an automated reply: what response
    time, follow-up and interaction KPIs count. What was said stays in int_touch_events (joined on
    touchpoint_id by behaviour tags and stage evidence).

    Incremental, exact against a full rebuild (changed_rows): a night places again only the
    touches whose row could differ from the one held (touchpoints_scope: the events classified
    since the last build and the touches of the records labelled or gone since), writes those
    that do differ, and a post-hook deletes the touches no longer among the events (found among
    those int_touch_events logged as removed since: touchpoints_without_event) and those recalled
    since. At a million customers a night places a few tens of thousands of six million
    touches. Every touch deleted or written again is logged with the customer it was held
    under (int_touchpoints__removed), and every touch written carries the run's written_at: the
    customers whose touches changed since a build are those two sets, which is how the models
    downstream keyed by customer or lead find what a night changed. -#}
{% set record_prefix = {'wecom': 'wecom:contact:', 'email': 'email:address:', 'crm': 'crm:lead:'} %}
{% set scope = changed_rows_scope_query(touchpoints_scope()) %}

with {{ scope_cte(scope) }}

rep_aliases as (
    select * from {{ ref('int_sales_rep_aliases') }}
),

reps as (
    select distinct rep_userid from {{ ref('stg_wecom__external_contacts') }}
),

events as (
    select * from {{ ref('int_touch_events') }}
    where {{ in_scope(scope, 'touchpoint_id', 'touchpoint_id') }}
),

recalled as (
    {{ recalled_touchpoint_ids() }}
),

touches as (
    select
        events.*,
        coalesce(events.is_sent_by_us, reps.rep_userid is not null) as is_out
    from events
    left join reps on events.channel = 'wecom' and reps.rep_userid = events.sender_id
    anti join recalled on recalled.touchpoint_id = events.touchpoint_id
),

sides as (
    select
        touchpoint_id,
        channel,
        touch_type,
        occurred_at,
        case when is_out then 'out' else 'in' end as direction,
        case channel
            {% for channel, prefix in record_prefix.items() %}
            when '{{ channel }}' then '{{ prefix }}'
            {% endfor %}
        end || case when is_out then counterparty_id else sender_id end as customer_record_id,
        case when is_out then sender_id else counterparty_id end as source_rep_id,
        is_out and not is_auto_reply as is_genuine_outbound
    from touches
)

select
    sides.touchpoint_id,
    sides.channel,
    sides.touch_type,
    sides.occurred_at,
    sides.direction,
    sides.customer_record_id,
    components.customer_key,
    coalesce(rep_aliases.rep_id, sides.source_rep_id) as rep_id,
    sides.is_genuine_outbound,
    {{ written_at() }} as written_at
from sides
left join {{ ref('int_identity__components') }} as components
    on components.record_id = sides.customer_record_id
left join rep_aliases on rep_aliases.alias = sides.source_rep_id
