{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key='journey_id', on_schema_change='sync_all_columns') }}
{#- One row per journey with what the funnel KPIs need: owner (roster rep), channel, the
    opportunity's creation and amount, the furthest and current stage, and — when the journey's
    current stage is terminal — when it closed. A deal re-opened after it was lost is judged by
    where it stands now: won_at is when it entered `won` for good. -#}
with journeys as (
    select * from {{ ref('int_funnel_journeys') }}
),

opportunities as (
    select opportunity_id, created_at, amount from {{ ref('stg_crm__opportunities') }}
),

spells as (
    select * from {{ ref('int_stage_spells') }}
),

current_spells as (
    select journey_id, stage, entered_at from spells where is_current
),

rep_aliases as (
    select * from {{ ref('int_sales_rep_aliases') }}
)

select
    journeys.journey_id,
    journeys.journey_type,
    journeys.lead_id,
    journeys.opportunity_id,
    journeys.customer_key,
    journeys.channel,
    journeys.channel_group,
    journeys.cohort_month,
    coalesce(rep_aliases.rep_id, journeys.owner_id, 'unassigned') as owner_rep_id,
    journeys.created_at,
    case when journeys.journey_type = 'lead' then journeys.created_at end as lead_created_at,
    opportunities.created_at as opportunity_created_at,
    opportunities.amount,
    journeys.max_stage_order,
    journeys.current_stage,
    current_spells.entered_at as current_stage_entered_at,
    journeys.current_stage = 'won' as is_won,
    journeys.current_stage = 'lost' as is_lost,
    case when journeys.current_stage in ('won', 'lost') then current_spells.entered_at end as closed_at,
    case when journeys.current_stage = 'won' then current_spells.entered_at end as won_at
from journeys
left join opportunities on opportunities.opportunity_id = journeys.opportunity_id
left join current_spells on current_spells.journey_id = journeys.journey_id
left join rep_aliases on rep_aliases.alias = journeys.owner_id
