{#- Every lead with whether it is still open (its current CRM status maps to the canonical
    `lead` stage: neither converted nor dropped), its latest touch in any channel and either
    direction since it was created, and how many days it has been idle as of the data's latest
    activity (the night's "today", which also holds when a history is replayed). -#}
with leads as (
    select * from {{ ref('stg_crm__leads') }}
),

responses as (
    select * from {{ ref('int_lead_first_response') }}
),

stage_map as (
    select * from {{ ref('stage_map') }}
    where record_type = 'lead'
),

touches as (
    select customer_key, occurred_at from {{ ref('int_touchpoints') }}
    where customer_key is not null
),

as_of as (
    select greatest(
        (select max(occurred_at) from touches),
        (select max(created_at) from leads)
    ) as as_of_at
),

last_touch as (
    select responses.lead_id, max(touches.occurred_at) as last_touch_at
    from responses
    inner join touches
        on touches.customer_key = responses.customer_key
        and touches.occurred_at >= responses.created_at
    group by responses.lead_id
)

select
    responses.lead_id,
    responses.customer_key,
    responses.created_at,
    responses.grade,
    responses.owner_rep_id,
    responses.channel,
    leads.lead_status,
    coalesce(stage_map.canonical_stage, 'lead') = 'lead' as is_open,
    last_touch.last_touch_at,
    as_of.as_of_at,
    date_diff('day', {{ to_local_time('coalesce(last_touch.last_touch_at, responses.created_at)') }},
              {{ to_local_time('as_of.as_of_at') }}) as idle_days
from responses
inner join leads on leads.lead_id = responses.lead_id
cross join as_of
left join stage_map
    on stage_map.source_system = leads.crm_system and stage_map.source_stage = leads.lead_status
left join last_touch on last_touch.lead_id = responses.lead_id
