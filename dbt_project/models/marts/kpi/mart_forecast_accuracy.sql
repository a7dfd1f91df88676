{#- K24 forecast accuracy of past months: at each month's first instant (Asia/Shanghai), the
    stage-weighted amount of the opportunities then open whose expected close date fell in the
    month (as recorded then), against the amount actually won in the month. -#}
with probability as (
    select stage, win_probability from {{ ref('int_stage_win_probability') }}
),

spells as (
    select spells.stage, spells.entered_at, spells.exited_at, spells.amount, spells.expected_close_date
    from {{ ref('int_stage_spells') }} as spells
    inner join {{ ref('int_journey_outcomes') }} as journeys on journeys.journey_id = spells.journey_id
    where journeys.opportunity_id is not null
),

wins as (
    select {{ local_month('won_at') }} as month, amount
    from {{ ref('int_journey_outcomes') }}
    where is_won and opportunity_id is not null
),

as_of as (
    select as_of_at from {{ ref('int_as_of') }}
),

months as (
    {{ local_periods('month',
        "(select " ~ local_date('min(entered_at)') ~ " from spells)",
        "(select " ~ local_date('as_of_at') ~ " from as_of)") }}
),

forecasts as (
    select
        months.month,
        count(*) as forecast_opportunities,
        {{ exact_sum("spells.amount * probability.win_probability") }} as forecast_amount
    from months
    inner join spells
        on spells.entered_at < months.month_start_at
        and (spells.exited_at is null or spells.exited_at >= months.month_start_at)
        and spells.expected_close_date >= months.month
        and spells.expected_close_date < cast({{ dbt.dateadd('month', 1, 'months.month') }} as date)
    inner join probability on probability.stage = spells.stage
    group by months.month
),

actuals as (
    select month, count(*) as won_deals, sum(amount) as actual_won_amount
    from wins
    group by month
)

select
    months.month,
    coalesce(forecasts.forecast_opportunities, 0) as forecast_opportunities,
    coalesce(forecasts.forecast_amount, 0) as forecast_amount,
    coalesce(actuals.won_deals, 0) as won_deals,
    coalesce(actuals.actual_won_amount, 0) as actual_won_amount,
    {{ safe_divide('coalesce(forecasts.forecast_amount, 0)', 'actuals.actual_won_amount') }} as forecast_accuracy,
    months.month_end_at <= as_of.as_of_at as is_complete_month
from months
cross join as_of
left join forecasts on forecasts.month = months.month
left join actuals on actuals.month = months.month
