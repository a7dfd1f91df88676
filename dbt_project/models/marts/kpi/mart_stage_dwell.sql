{#- K13 stage dwell 平均停留时长: days between entering and leaving each open funnel stage, over
    the visits that ended in the month (Asia/Shanghai): count, mean, median, p90. -#}
with visits as (
    select
        spells.stage,
        spells.dwell_days,
        {{ local_month('spells.exited_at') }} as exited_month
    from {{ ref('int_stage_spells') }} as spells
    inner join {{ ref('canonical_stages') }} as stages on stages.stage = spells.stage
    where spells.exited_at is not null
      and stages.stage_order is not null
      and not stages.is_terminal
)

select
    exited_month,
    stage,
    count(*) as completed_visits,
    {{ exact_mean("dwell_days") }} as dwell_days_mean,
    {{ percentile_cont('dwell_days', 0.5) }} as dwell_days_median,
    {{ percentile_cont('dwell_days', 0.9) }} as dwell_days_p90
from visits
group by exited_month, stage
