{#- K28 historical pipeline 历史管道: for every day (Asia/Shanghai) and open opportunity stage,
    the opportunities standing in that stage at the day's end, rebuilt from stage history
    (int_stage_spells), with their amount as recorded then and the amount weighted by
    P(won | stage) (int_stage_win_probability). Every day × stage is present, zeros included. -#}
with probability as (
    select stage, stage_order, win_probability from {{ ref('int_stage_win_probability') }}
),

spells as (
    select spells.stage, spells.entered_at, spells.exited_at, spells.amount
    from {{ ref('int_stage_spells') }} as spells
    inner join {{ ref('int_journey_outcomes') }} as journeys on journeys.journey_id = spells.journey_id
    inner join probability on probability.stage = spells.stage
    where journeys.opportunity_id is not null
),

as_of as (
    select as_of_at from {{ ref('int_as_of') }}
),

days as (
    select
        day,
        {{ local_day_start(dbt.dateadd('day', 1, 'day')) }} as snapshot_at
    from ({{ day_spine(
        "(select " ~ local_date('min(entered_at)') ~ " from spells)",
        "(select " ~ local_date('as_of_at') ~ " from as_of)") }}) as spine
),

open_positions as (
    select days.day, spells.stage, spells.amount
    from days
    inner join spells
        on spells.entered_at < days.snapshot_at
        and (spells.exited_at is null or spells.exited_at >= days.snapshot_at)
),

totals as (
    select day, stage, count(*) as open_opportunities, sum(amount) as open_amount
    from open_positions
    group by day, stage
)

select
    cast(days.day as date) as day,
    probability.stage,
    probability.stage_order,
    coalesce(totals.open_opportunities, 0) as open_opportunities,
    coalesce(totals.open_amount, 0) as open_amount,
    probability.win_probability,
    coalesce(totals.open_amount, 0) * probability.win_probability as weighted_amount
from days
cross join probability
left join totals on totals.day = days.day and totals.stage = probability.stage
