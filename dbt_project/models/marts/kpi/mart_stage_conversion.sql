{#- K09 stage conversion (阶段转化率): for each adjacent pair of ordered canonical stages, journeys
    that reached stage k+1 ÷ journeys that reached stage k, by creation cohort month (Asia/Shanghai)
    and channel. A journey reached every stage up to the furthest it entered, so a skipped stage
    counts as reached. Numerator and denominator are published so BI tools can re-aggregate. -#}
with journeys as (
    select * from {{ ref('int_funnel_journeys') }}
),

stages as (
    select stage, stage_order from {{ ref('canonical_stages') }}
    where stage_order is not null
),

stage_pairs as (
    select
        from_stages.stage as from_stage,
        to_stages.stage as to_stage,
        from_stages.stage_order as step
    from stages as from_stages
    inner join stages as to_stages on to_stages.stage_order = from_stages.stage_order + 1
),

counts as (
    select
        journeys.cohort_month,
        journeys.channel,
        stage_pairs.step,
        stage_pairs.from_stage,
        stage_pairs.to_stage,
        {{ count_where('journeys.max_stage_order >= stage_pairs.step') }} as reached_from_count,
        {{ count_where('journeys.max_stage_order >= stage_pairs.step + 1') }} as reached_to_count
    from journeys
    cross join stage_pairs
    group by journeys.cohort_month, journeys.channel, stage_pairs.step, stage_pairs.from_stage, stage_pairs.to_stage
)

select
    cohort_month,
    channel,
    step,
    from_stage,
    to_stage,
    reached_to_count,
    reached_from_count,
    {{ safe_divide('reached_to_count', 'reached_from_count') }} as stage_conversion_rate
from counts
