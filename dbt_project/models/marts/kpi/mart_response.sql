{#- K06 response time (平均响应时长) and K07 SLA attainment by lead creation day (Asia/Shanghai),
    channel, owner and grade. Mean/median/p90 are over responded leads; the SLA rate is over all
    leads, so a lead never answered counts as missed. -#}
with leads as (
    select * from {{ ref('int_lead_first_response') }}
)

select
    {{ local_date('created_at') }} as created_date,
    channel,
    coalesce(owner_rep_id, 'unassigned') as owner_rep_id,
    grade,
    count(*) as leads,
    {{ count_where('first_response_at is not null') }} as responded_leads,
    {{ exact_mean("response_minutes") }} as response_minutes_mean,
    {{ percentile_cont("response_minutes", 0.5) }} as response_minutes_median,
    {{ percentile_cont("response_minutes", 0.9) }} as response_minutes_p90,
    {{ count_where('responded_within_sla') }} as sla_met_leads,
    {{ safe_divide(count_where('responded_within_sla'), 'count(*)') }} as sla_attainment_rate
from leads
group by all
