{#- A funnel journey is a lead (followed through the opportunity it converted into) or, for an
    opportunity created without a lead (e.g. a repeat order), the opportunity itself. -#}
with leads as (
    select * from {{ ref('stg_crm__leads') }}
),

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

converted as (
    select converted_opportunity_id as opportunity_id, min(lead_id) as lead_id
    from leads
    where converted_opportunity_id is not null
    group by converted_opportunity_id
)

select
    'lead:' || leads.lead_id as journey_id,
    'lead' as journey_type,
    leads.lead_id,
    leads.converted_opportunity_id as opportunity_id,
    leads.created_at,
    leads.lead_source as source_channel,
    leads.crm_system,
    leads.owner_id
from leads
union all
select
    'opportunity:' || opportunities.opportunity_id,
    'opportunity',
    null,
    opportunities.opportunity_id,
    opportunities.created_at,
    opportunities.lead_source,
    opportunities.crm_system,
    opportunities.owner_id
from opportunities
left join converted on converted.opportunity_id = opportunities.opportunity_id
where converted.lead_id is null
