{#- Every lead with whether it is still open (its current CRM status maps to the canonical
    `lead` stage: neither converted nor dropped) and how many days it has been idle since its
    latest touch (int_lead_first_response) as of the data's latest activity (int_as_of). -#}
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

as_of as (
    select as_of_at from {{ ref('int_as_of') }}
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
    responses.last_touch_at,
    as_of.as_of_at,
    date_diff('day', {{ to_local_time('coalesce(responses.last_touch_at, responses.created_at)') }},
              {{ to_local_time('as_of.as_of_at') }}) as idle_days
from responses
inner join leads on leads.lead_id = responses.lead_id
cross join as_of
left join stage_map
    on stage_map.source_system = leads.crm_system and stage_map.source_stage = leads.lead_status
