{#- Funnel counts never grow down the funnel, and each step starts where the previous one ended:
    for a cohort and channel, the journeys that reached stage k+1 (numerator of step k) are the
    denominator of step k+1. A row here is a broken link of the chain. -#}
with steps as (
    select * from {{ ref('mart_stage_conversion') }}
)

select current_step.cohort_month, current_step.channel, current_step.step,
       current_step.reached_to_count, next_step.reached_from_count
from steps as current_step
inner join steps as next_step
    on next_step.cohort_month = current_step.cohort_month
    and next_step.channel = current_step.channel
    and next_step.step = current_step.step + 1
where next_step.reached_from_count <> current_step.reached_to_count
   or next_step.reached_to_count > next_step.reached_from_count
