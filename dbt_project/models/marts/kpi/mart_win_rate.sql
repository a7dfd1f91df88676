{#- K11 win rate (by count and by amount) and K14 sales cycle, over opportunities closed in each
    month (Asia/Shanghai) by channel and owner. A deal re-opened after it was lost counts where it
    stands now, in the month it last closed. -#}
with closed as (
    select
        *,
        {{ local_month('closed_at') }} as closed_month,
        case when is_won and lead_created_at is not null
             then {{ dbt.datediff('lead_created_at', 'won_at', 'second') }} / 86400.0 end as lead_to_won_days,
        case when is_won
             then {{ dbt.datediff('opportunity_created_at', 'won_at', 'second') }} / 86400.0 end as opportunity_to_won_days
    from {{ ref('int_journey_outcomes') }}
    where opportunity_id is not null and closed_at is not null
)

select
    closed_month,
    channel,
    owner_rep_id,
    {{ count_where('is_won') }} as won_deals,
    {{ count_where('is_lost') }} as lost_deals,
    count(*) as closed_deals,
    {{ safe_divide(count_where('is_won'), 'count(*)') }} as win_rate_by_count,
    coalesce(sum(case when is_won then amount end), 0) as won_amount,
    coalesce(sum(amount), 0) as closed_amount,
    {{ safe_divide('coalesce(sum(case when is_won then amount end), 0)', 'sum(amount)') }} as win_rate_by_amount,
    count(lead_to_won_days) as won_deals_from_leads,
    {{ exact_mean("lead_to_won_days") }} as sales_cycle_days_from_lead_mean,
    {{ percentile_cont('lead_to_won_days', 0.5) }} as sales_cycle_days_from_lead_median,
    {{ exact_mean("opportunity_to_won_days") }} as sales_cycle_days_from_opportunity_mean,
    {{ percentile_cont('opportunity_to_won_days', 0.5) }} as sales_cycle_days_from_opportunity_median
from closed
group by closed_month, channel, owner_rep_id
