{#- K04 lead grade mix 线索分级: leads of each grade ÷ all leads, by creation day (Asia/Shanghai)
    and channel. Grades come from the CRM rating through lead_grade_rules. -#}
with leads as (
    select {{ local_date('created_at') }} as day, channel, grade
    from {{ ref('int_lead_scores') }}
),

counts as (
    select day, channel, grade, count(*) as grade_leads
    from leads
    group by day, channel, grade
)

select
    day,
    channel,
    grade,
    grade_leads,
    cast(sum(grade_leads) over (partition by day, channel) as {{ dbt.type_bigint() }}) as channel_leads,
    {{ safe_divide('grade_leads', 'sum(grade_leads) over (partition by day, channel)') }} as grade_share
from counts
