{#- P(won | stage) for each open funnel stage an opportunity can stand in: of the opportunities
    that entered the stage within var('forecast_lookback_days') before the as-of instant and have
    closed since, the share won. A journey visiting a stage twice counts once. -#}
with stages as (
    select stage, stage_order from {{ ref('canonical_stages') }}
    where stage_order is not null and not is_terminal and stage_order > 1
),

as_of as (
    select as_of_at from {{ ref('int_as_of') }}
),

visits as (
    select distinct spells.journey_id, spells.stage, journeys.is_won, journeys.is_lost
    from {{ ref('int_stage_spells') }} as spells
    inner join {{ ref('int_journey_outcomes') }} as journeys on journeys.journey_id = spells.journey_id
    cross join as_of
    where journeys.opportunity_id is not null
      and spells.entered_at > {{ dbt.dateadd('day', -var('forecast_lookback_days'), 'as_of.as_of_at') }}
      and spells.entered_at <= as_of.as_of_at
)

select
    stages.stage,
    stages.stage_order,
    {{ count_where('visits.is_won or visits.is_lost') }} as closed_opportunities,
    {{ count_where('visits.is_won') }} as won_opportunities,
    {{ safe_divide(count_where('visits.is_won'), count_where('visits.is_won or visits.is_lost')) }} as win_probability
from stages
left join visits on visits.stage = stages.stage
group by stages.stage, stages.stage_order
