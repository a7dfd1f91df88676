{#- K08 lead sleep rate 沉睡率: open leads idle (no touch in any channel or direction) for at
    least var('lead_sleep_days') days ÷ open leads, as of the data's latest activity, by
    channel, owner and grade. -#}
with leads as (
    select * from {{ ref('int_lead_activity') }}
    where is_open
)

select
    {{ local_date('as_of_at') }} as as_of_date,
    channel,
    coalesce(owner_rep_id, 'unassigned') as owner_rep_id,
    grade,
    count(*) as open_leads,
    {{ count_where('idle_days >= ' ~ var('lead_sleep_days')) }} as sleeping_leads,
    {{ safe_divide(count_where('idle_days >= ' ~ var('lead_sleep_days')), 'count(*)') }} as sleep_rate
from leads
group by all
