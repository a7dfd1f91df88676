{#- K10 lead-to-opportunity ratio and K12 quote conversion by creation cohort (month, Asia/Shanghai),
    channel and owner. A skipped proposal stage counts as reached (as in K09), so every won deal
    reached proposal. -#}
with journeys as (
    select * from {{ ref('int_journey_outcomes') }}
)

select
    cohort_month,
    channel,
    owner_rep_id,
    {{ count_where("journey_type = 'lead'") }} as leads,
    {{ count_where("journey_type = 'lead' and opportunity_id is not null") }} as converted_leads,
    {{ safe_divide(count_where("journey_type = 'lead' and opportunity_id is not null"), count_where("journey_type = 'lead'")) }}
        as lead_to_opportunity_rate,
    {{ count_where("opportunity_id is not null and max_stage_order >= 3") }} as reached_proposal,
    {{ count_where("opportunity_id is not null and max_stage_order >= 3 and is_won") }} as won_after_proposal,
    {{ safe_divide(count_where("opportunity_id is not null and max_stage_order >= 3 and is_won"),
                   count_where("opportunity_id is not null and max_stage_order >= 3")) }} as quote_conversion_rate
from journeys
group by cohort_month, channel, owner_rep_id
