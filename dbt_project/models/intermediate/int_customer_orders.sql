{#- Per customer who paid anything (or has an order paid in full): paid orders (fct_orders.is_paid), money received, and how
    the customer was acquired — the channel of their earliest funnel journey, and whether that
    channel is a referral (var referral_channels). A customer is "new" when their first order
    is paid in full (finance, not CRM claims: kpis.md K23). -#}
{% set referral_channels = var('referral_channels').split(',') | map('trim') | list %}

with orders as (
    select * from {{ ref('fct_orders') }}
    where is_paid
),

payments as (
    select * from {{ ref('fct_payments') }}
),

journeys as (
    select
        customer_key,
        channel,
        channel_group,
        row_number() over (partition by customer_key order by created_at, journey_id) as journey_rank
    from {{ ref('int_journey_outcomes') }}
    where customer_key is not null
),

order_totals as (
    select
        customer_key,
        count(*) as paid_orders,
        sum(amount_total) as paid_order_amount,
        min(fully_paid_at) as first_order_paid_at,
        max(fully_paid_at) as last_order_paid_at
    from orders
    group by customer_key
),

payment_totals as (
    select
        customer_key,
        sum(amount) as paid_revenue,
        min(received_at) as first_payment_at,
        max(received_at) as last_payment_at
    from payments
    where customer_key is not null
    group by customer_key
),

customers as (
    select customer_key from order_totals
    union
    select customer_key from payment_totals
)

select
    customers.customer_key,
    coalesce(journeys.channel, 'unknown') as acquisition_channel,
    coalesce(journeys.channel_group, 'unknown') as acquisition_channel_group,
    coalesce(journeys.channel in ('{{ referral_channels | join("', '") }}'), false) as is_referred,
    coalesce(order_totals.paid_orders, 0) as paid_orders,
    coalesce(order_totals.paid_order_amount, 0) as paid_order_amount,
    order_totals.first_order_paid_at,
    order_totals.last_order_paid_at,
    coalesce(payment_totals.paid_revenue, 0) as paid_revenue,
    payment_totals.first_payment_at,
    payment_totals.last_payment_at
from customers
left join order_totals on order_totals.customer_key = customers.customer_key
left join payment_totals on payment_totals.customer_key = customers.customer_key
left join journeys on journeys.customer_key = customers.customer_key and journeys.journey_rank = 1
