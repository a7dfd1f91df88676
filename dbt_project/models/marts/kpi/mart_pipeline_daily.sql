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
    {{ day_spine(
        "(select " ~ local_date('min(entered_at)') ~ " from spells)",
        "(select " ~ local_date('as_of_at') ~ " from as_of)") }}
),

{#- A spell stands at the end of the days from the one it entered (local date) to the day before
    the one it left, or through the as-of day while it is open. Its count and amount are added on
    its first day and taken off the day after its last, and each stage's running sum over the
    days gives what stood open at each day's end: the same figures as comparing every day's end
    with every spell, without the two-year × two-million-spell join. -#}
spell_days as (
    select
        spells.stage,
        spells.amount,
        {{ local_date('spells.entered_at') }} as first_day,
        coalesce(cast({{ dbt.dateadd('day', -1, local_date('spells.exited_at')) }} as date), as_of_day.day)
            as last_day
    from spells
    cross join (select {{ local_date('as_of_at') }} as day from as_of) as as_of_day
),

changes as (
    select stage, day, sum(opened) as opened, sum(amount) as amount
    from (
        select stage, first_day as day, 1 as opened, amount from spell_days where first_day <= last_day
        union all
        select stage, cast({{ dbt.dateadd('day', 1, 'last_day') }} as date), -1, -amount
        from spell_days where first_day <= last_day
    ) as starts_and_ends
    group by stage, day
),

totals as (
    select
        days.day,
        probability.stage,
        probability.stage_order,
        probability.win_probability,
        cast(sum(coalesce(changes.opened, 0)) over stage_days as bigint) as open_opportunities,
        coalesce(sum(changes.amount) over stage_days, 0) as open_amount
    from days
    cross join probability
    left join changes on changes.day = days.day and changes.stage = probability.stage
    window stage_days as (partition by probability.stage order by days.day rows unbounded preceding)
)

select
    day,
    stage,
    stage_order,
    open_opportunities,
    open_amount,
    win_probability,
    open_amount * win_probability as weighted_amount
from totals
