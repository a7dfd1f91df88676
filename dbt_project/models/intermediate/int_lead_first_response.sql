{#- For every lead: its grade, owner, channel, SLA and the first genuine outbound touch to its
    customer in any channel (chat, mail, CRM call/visit task) at or after the lead was created —
    the CRM exports carry no assignment time, so creation stands for assignment (kpis.md K06).
    Touches matching auto_reply_patterns are not a response. -#}
with leads as (
    select * from {{ ref('stg_crm__leads') }}
),

grades as (
    select * from {{ ref('lead_grade_rules') }}
),

sla as (
    select * from {{ ref('response_sla') }}
),

journeys as (
    select lead_id, channel, channel_group from {{ ref('int_funnel_journeys') }}
    where journey_type = 'lead'
),

components as (
    select * from {{ ref('int_identity__components') }}
),

auto_replies as (
    select * from {{ ref('auto_reply_patterns') }}
),

genuine_outbound as (
    select touchpoints.customer_key, touchpoints.touchpoint_id, touchpoints.channel, touchpoints.occurred_at
    from {{ ref('int_touchpoints') }} as touchpoints
    where touchpoints.direction = 'out'
      and touchpoints.customer_key is not null
      and not exists (
          select 1 from auto_replies
          where regexp_matches(lower(coalesce(touchpoints.content, '')), lower(auto_replies.pattern))
      )
),

graded as (
    select
        leads.lead_id,
        leads.created_at,
        leads.owner_id,
        components.customer_key,
        coalesce(grades.grade, '{{ var("lead_default_grade") }}') as grade
    from leads
    left join grades on grades.source_system = leads.crm_system and grades.rating = leads.rating
    left join components on components.record_id = 'crm:lead:' || leads.lead_id
),

first_touch as (
    select
        graded.lead_id,
        min(genuine_outbound.occurred_at) as first_response_at,
        arg_min(genuine_outbound.channel, genuine_outbound.occurred_at) as first_response_channel
    from graded
    inner join genuine_outbound
        on genuine_outbound.customer_key = graded.customer_key
        and genuine_outbound.occurred_at >= graded.created_at
    group by graded.lead_id
)

select
    graded.lead_id,
    graded.customer_key,
    graded.created_at,
    graded.grade,
    coalesce(rep_aliases.rep_id, graded.owner_id) as owner_rep_id,
    coalesce(journeys.channel, 'unknown') as channel,
    sla.sla_minutes,
    first_touch.first_response_at,
    first_touch.first_response_channel,
    date_diff('second', graded.created_at, first_touch.first_response_at) / 60.0 as response_minutes,
    coalesce(date_diff('second', graded.created_at, first_touch.first_response_at) <= sla.sla_minutes * 60, false)
        as responded_within_sla
from graded
left join first_touch on first_touch.lead_id = graded.lead_id
left join journeys on journeys.lead_id = graded.lead_id
left join sla on sla.grade = graded.grade
left join {{ ref('int_sales_rep_aliases') }} as rep_aliases on rep_aliases.alias = graded.owner_id
