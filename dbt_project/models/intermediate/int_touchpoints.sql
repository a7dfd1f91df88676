{#- Interactions from every channel (int_touch_events), with the source record of the customer
    side, so the core mart can attach the customer. Direction: `out` when our side (a rep)
    initiated it: mail from our domains and CRM tasks as the event says, a WeCom message when its
    sender is a rep of the contact export. A WeCom message recalled later is left out. The rep is
    the roster's rep_id (int_sales_rep_aliases), or the system's own id for someone not on the
    roster; customer_key is the customer of the customer-side record (int_identity__components).
    is_genuine_outbound marks what our side sent that is not an automated reply: what response
    time, follow-up and interaction KPIs count. What was said stays in int_touch_events (joined on
    touchpoint_id by behaviour tags and stage evidence): a table of six million touches rebuilt
    every night is cheap without it. -#}
{% set record_prefix = {'wecom': 'wecom:contact:', 'email': 'email:address:', 'crm': 'crm:lead:'} %}

with reps as (
    select distinct rep_userid from {{ ref('stg_wecom__external_contacts') }}
),

recalled as (
    select distinct 'wecom:' || revoked_message_id as touchpoint_id
    from {{ ref('stg_wecom__messages') }}
    where action = 'recall' and revoked_message_id is not null
),

touches as (
    select
        events.*,
        coalesce(events.is_sent_by_us, reps.rep_userid is not null) as is_out
    from {{ ref('int_touch_events') }} as events
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
    sides.is_genuine_outbound
from sides
left join {{ ref('int_identity__components') }} as components
    on components.record_id = sides.customer_record_id
left join {{ ref('int_sales_rep_aliases') }} as rep_aliases on rep_aliases.alias = sides.source_rep_id
