{#- K19 follow-up (revisit) rate 回访率: for deals won, the checkpoints (revisit_checkpoints: day
    7, 30, 90 ± 3) whose window has passed, and those with a genuine outbound touch to the
    customer on a local day inside the window; by month won (Asia/Shanghai), owner and checkpoint. -#}
with won as (
    select
        journey_id,
        customer_key,
        owner_rep_id,
        {{ local_date('won_at') }} as won_date,
        {{ local_month('won_at') }} as won_month
    from {{ ref('int_journey_outcomes') }}
    where is_won
),

checkpoints as (
    select * from {{ ref('revisit_checkpoints') }}
),

as_of as (
    select {{ local_date('as_of_at') }} as as_of_date from {{ ref('int_as_of') }}
),

windows as (
    select
        won.*,
        checkpoints.checkpoint_days,
        cast({{ dbt.dateadd('day', 'checkpoints.checkpoint_days - checkpoints.tolerance_days', 'won.won_date') }} as date) as window_start,
        cast({{ dbt.dateadd('day', 'checkpoints.checkpoint_days + checkpoints.tolerance_days', 'won.won_date') }} as date) as window_end
    from won
    cross join checkpoints
),

-- the touch days of the customers won only: a local date for each of six million touches
-- cost three times the whole mart
touch_days as (
    select distinct customer_key, {{ local_date('occurred_at') }} as touch_date
    from {{ ref('int_touchpoints') }}
    semi join won using (customer_key)
    where is_genuine_outbound and customer_key is not null
),

due as (
    select
        windows.*,
        exists (
            select 1 from touch_days
            where touch_days.customer_key = windows.customer_key
              and touch_days.touch_date between windows.window_start and windows.window_end
        ) as is_covered
    from windows
    cross join as_of
    where windows.window_end < as_of.as_of_date
)

select
    won_month,
    owner_rep_id,
    checkpoint_days,
    count(*) as due_checkpoints,
    {{ count_where('is_covered') }} as covered_checkpoints,
    {{ safe_divide(count_where('is_covered'), 'count(*)') }} as revisit_rate
from due
group by won_month, owner_rep_id, checkpoint_days
