{#- K26 stuck deals 阶段停滞: open opportunities that have been in their current stage longer
    than that stage's p90 dwell (over every completed visit to the stage), as of the data's
    latest activity; one row per deal with its owner, longest overdue first in BI. -#}
with dwell as (
    select
        stage,
        count(*) as completed_visits,
        {{ percentile_cont('dwell_days', 0.9) }} as stage_p90_dwell_days
    from {{ ref('int_stage_spells') }}
    where exited_at is not null
    group by stage
),

as_of as (
    select as_of_at from {{ ref('int_as_of') }}
),

open_deals as (
    select
        journeys.*,
        {{ dbt.datediff('journeys.current_stage_entered_at', 'as_of.as_of_at', 'second') }} / 86400.0 as days_in_stage,
        as_of.as_of_at
    from {{ ref('int_journey_outcomes') }} as journeys
    cross join as_of
    where journeys.opportunity_id is not null
      and not journeys.is_won
      and not journeys.is_lost
)

select
    open_deals.opportunity_id,
    open_deals.journey_id,
    open_deals.customer_key,
    open_deals.owner_rep_id,
    open_deals.channel,
    open_deals.current_stage as stage,
    open_deals.current_stage_entered_at as stage_entered_at,
    open_deals.days_in_stage,
    dwell.stage_p90_dwell_days,
    open_deals.amount,
    {{ local_date('open_deals.as_of_at') }} as as_of_date
from open_deals
inner join dwell on dwell.stage = open_deals.current_stage
where open_deals.days_in_stage > dwell.stage_p90_dwell_days
