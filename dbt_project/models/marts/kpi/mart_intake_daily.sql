{#- Intake 进线 by day (Asia/Shanghai) and channel: K01 new leads, K02 lead-in rate, K03
    effective-lead ratio, K05 marketing spend, cost per lead, CAC and channel ROI. Each event
    is counted on its own day: leads on creation, inbound contacts on the first contact, spend on
    its spend date, new customers on their first order paid in full (acquisition channel), won
    revenue on the day the deal was won (the journey's channel). -#}
with leads as (
    select {{ local_date('created_at') }} as day, channel, is_effective
    from {{ ref('int_lead_scores') }}
),

contacts as (
    select {{ local_date('first_contacted_at') }} as day, channel, left_usable_contact
    from {{ ref('int_inbound_contacts') }}
),

spend as (
    select
        spend.spend_date as day,
        coalesce(channel_map.channel, spend.source_channel) as channel,
        spend.spend
    from {{ ref('stg_finance__marketing_spend') }} as spend
    left join {{ ref('channel_map') }} as channel_map
        on channel_map.source_system = 'marketing_spend' and channel_map.source_value = spend.source_channel
),

new_customers as (
    select {{ local_date('first_order_paid_at') }} as day, acquisition_channel as channel
    from {{ ref('int_customer_orders') }}
    where first_order_paid_at is not null
),

wins as (
    select {{ local_date('won_at') }} as day, channel, amount
    from {{ ref('int_journey_outcomes') }}
    where is_won
),

lead_counts as (
    select day, channel, count(*) as new_leads, {{ count_where('is_effective') }} as effective_leads
    from leads group by day, channel
),

contact_counts as (
    select day, channel, count(*) as inbound_contacts, {{ count_where('left_usable_contact') }} as usable_inbound_contacts
    from contacts group by day, channel
),

spend_totals as (
    select day, channel, sum(spend) as marketing_spend from spend group by day, channel
),

customer_counts as (
    select day, channel, count(*) as new_customers from new_customers group by day, channel
),

win_totals as (
    select day, channel, sum(amount) as won_revenue from wins group by day, channel
),

keys as (
    select day, channel from lead_counts
    union select day, channel from contact_counts
    union select day, channel from spend_totals
    union select day, channel from customer_counts
    union select day, channel from win_totals
),

joined as (
    select
        keys.day,
        keys.channel,
        coalesce(lead_counts.new_leads, 0) as new_leads,
        coalesce(lead_counts.effective_leads, 0) as effective_leads,
        coalesce(contact_counts.inbound_contacts, 0) as inbound_contacts,
        coalesce(contact_counts.usable_inbound_contacts, 0) as usable_inbound_contacts,
        coalesce(spend_totals.marketing_spend, 0) as marketing_spend,
        coalesce(customer_counts.new_customers, 0) as new_customers,
        coalesce(win_totals.won_revenue, 0) as won_revenue
    from keys
    left join lead_counts on lead_counts.day = keys.day and lead_counts.channel = keys.channel
    left join contact_counts on contact_counts.day = keys.day and contact_counts.channel = keys.channel
    left join spend_totals on spend_totals.day = keys.day and spend_totals.channel = keys.channel
    left join customer_counts on customer_counts.day = keys.day and customer_counts.channel = keys.channel
    left join win_totals on win_totals.day = keys.day and win_totals.channel = keys.channel
)

select
    day,
    channel,
    new_leads,
    usable_inbound_contacts,
    inbound_contacts,
    {{ safe_divide('usable_inbound_contacts', 'inbound_contacts') }} as lead_in_rate,
    effective_leads,
    {{ safe_divide('effective_leads', 'new_leads') }} as effective_lead_ratio,
    marketing_spend,
    {{ safe_divide('marketing_spend', 'new_leads') }} as cost_per_lead,
    new_customers,
    {{ safe_divide('marketing_spend', 'new_customers') }} as customer_acquisition_cost,
    won_revenue,
    {{ safe_divide('won_revenue', 'marketing_spend') }} as channel_roi
from joined
