{{ config(
    materialized='incremental',
    unique_key='touchpoint_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook=[
        "delete from {{ this }}
         where touchpoint_id not in (select touchpoint_id from {{ ref('int_touch_events') }})
            or touchpoint_id in ({{ recalled_touchpoint_ids() }})",
        "{{ write_build_mark(unstamped_inputs_fingerprint([])) }}",
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

    Incremental, exact against a full rebuild: a run places again only the touches whose row
    could differ from the one held, which are
      * a touch event not held in the version held (new, re-delivered, or classified again);
      * a touch whose customer-side record now belongs to another customer, or to none (the
        identity components relabelled it, or the record is gone);
      * every touch when the context changed: the reps of the contact export (who is `out` in a
        chat), the roster's aliases, or this model's code (context_fingerprint).
    A post-hook deletes the touches no longer among the events and those recalled since. At a
    million customers a night places a few tens of thousands of six million touches; writing
    them all again cost more than finding which to write.

    Those touches are found from what changed since the last build (its build mark), not by
    comparing every touch with its event and its record's customer: the events classified since
    (int_touch_events' written_at), and the touches of the records labelled since
    (int_identity__components' written_at) or no longer identity records (its log of removed
    records), when every held row was placed in today's context. Without a mark, in another
    context, or when the components were labelled from scratch since (none older than the
    mark), every touch is compared. -#}
{% set record_prefix = {'wecom': 'wecom:contact:', 'email': 'email:address:', 'crm': 'crm:lead:'} %}
{% set place_changes_only = is_incremental() and relation_has_column(this, 'context_fingerprint') %}
{% set mark = held_build_mark() if place_changes_only else none %}
{% set events_relation = ref('int_touch_events') %}
{% set components_relation = ref('int_identity__components') %}
{% set removed_records = side_relation(components_relation, 'removed') if mark is not none else none %}
{% if mark is not none %}
    {#- every held row placed in today's context, and no component labelled from scratch since -#}
    {% set placed_in_context_since_mark %}
        select
            (select min(held.context_fingerprint) = any_value(context.fingerprint)
                    and max(held.context_fingerprint) = any_value(context.fingerprint)
             from {{ this }} as held
             cross join (select {{ touch_context_fingerprint() }} as fingerprint) as context)
            and (select coalesce(min(written_at) <= '{{ mark.built_at }}'::timestamptz, false)
                 from {{ components_relation }})
    {% endset %}
{% endif %}
{% set from_changes = mark is not none
    and relation_exists(removed_records)
    and relation_has_column(events_relation, 'written_at')
    and run_query(placed_in_context_since_mark).columns[0].values()[0] %}
{% set since %}'{{ mark.built_at if from_changes else '' }}'::timestamptz{% endset %}

with rep_aliases as (
    select * from {{ ref('int_sales_rep_aliases') }}
),

reps as (
    select distinct rep_userid from {{ ref('stg_wecom__external_contacts') }}
),

context as (
    select {{ touch_context_fingerprint() }} as fingerprint
),

events as (
    select events.*
    from {{ events_relation }} as events
    {% if from_changes %}
    where events.written_at > {{ since }}
       or events.touchpoint_id in (
            select held.touchpoint_id
            from {{ this }} as held
            semi join (
                select record_id from {{ components_relation }} where written_at > {{ since }}
                union all
                select record_id from {{ removed_records }} where removed_at > {{ since }}
            ) as relabelled on relabelled.record_id = held.customer_record_id
        )
    {% elif place_changes_only %}
    left join {{ this }} as held on held.touchpoint_id = events.touchpoint_id
    left join {{ components_relation }} as components
        on components.record_id = held.customer_record_id
    where held.touchpoint_id is null
       or held.event_loaded_at is distinct from events.loaded_at
       or held.event_fingerprint is distinct from events.settings_fingerprint
       or held.context_fingerprint is distinct from (select fingerprint from context)
       or held.customer_key is distinct from components.customer_key
    {% endif %}
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
        is_out and not is_auto_reply as is_genuine_outbound,
        loaded_at as event_loaded_at,
        settings_fingerprint as event_fingerprint
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
    sides.event_loaded_at,
    sides.event_fingerprint,
    (select fingerprint from context) as context_fingerprint
from sides
left join {{ components_relation }} as components
    on components.record_id = sides.customer_record_id
left join rep_aliases on rep_aliases.alias = sides.source_rep_id
