{#- K27 stale leads 未跟进预警: open leads of the grades in var('stale_lead_grades') with no
    touch for at least var('stale_lead_days') days, one row per lead with its owner, most idle first. -#}
{% set grades = var('stale_lead_grades').split(',') | map('trim') | list %}

select
    lead_id,
    customer_key,
    coalesce(owner_rep_id, 'unassigned') as owner_rep_id,
    grade,
    channel,
    created_at,
    last_touch_at,
    idle_days,
    {{ local_date('as_of_at') }} as as_of_date
from {{ ref('int_lead_activity') }}
where is_open
  and grade in ('{{ grades | join("', '") }}')
  and idle_days >= {{ var('stale_lead_days') }}
