{#- K20–K23 by calendar month (Asia/Shanghai), from finance (money received, invoices paid in
    full), not from CRM claims; the CRM's won amount is published beside the invoiced amount so
    the gap shows. "To date" columns are cumulative up to the month's end. -#}
with payments as (
    select received_at, {{ local_month('received_at') }} as month, customer_key, amount
    from {{ ref('fct_payments') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

paid_orders as (
    select customer_key, amount_total, fully_paid_at, {{ local_month('fully_paid_at') }} as month
    from orders
    where is_paid
),

invoices as (
    select {{ local_month('issued_at') }} as month, amount_total
    from {{ ref('stg_finance__invoices') }}
),

customers as (
    select
        *,
        {{ local_month('first_order_paid_at') }} as first_order_month
    from {{ ref('int_customer_orders') }}
),

wins as (
    select {{ local_month('won_at') }} as month, amount
    from {{ ref('int_journey_outcomes') }}
    where is_won
),

bounds as (
    select min(month) as first_month, max(month) as last_month
    from (
        select month from payments
        union all select month from invoices
        union all select month from wins
    ) as months
),

months as (
    select distinct cast({{ dbt.date_trunc('month', 'day') }} as date) as month
    from ({{ day_spine('(select first_month from bounds)', '(select last_month from bounds)') }}) as days
),

monthly_payments as (
    select month, sum(amount) as paid_revenue, count(distinct customer_key) as paying_customers
    from payments
    group by month
),

monthly_orders as (
    select month, count(*) as paid_orders, sum(amount_total) as paid_order_amount
    from paid_orders
    group by month
),

monthly_new as (
    select
        first_order_month as month,
        count(*) as new_customers,
        {{ count_where('is_referred') }} as referred_new_customers
    from customers
    where first_order_month is not null
    group by first_order_month
),

monthly_invoiced as (
    select month, sum(amount_total) as invoiced_amount from invoices group by month
),

monthly_won as (
    select month, sum(amount) as crm_won_amount from wins group by month
),

order_counts_to_date as (
    select
        months.month,
        paid_orders.customer_key,
        count(*) as orders_to_date
    from months
    inner join paid_orders on paid_orders.month <= months.month
    group by months.month, paid_orders.customer_key
),

to_date_orders as (
    select
        month,
        count(*) as customers_to_date,
        {{ count_where('orders_to_date >= 2') }} as repeat_customers_to_date
    from order_counts_to_date
    group by month
),

to_date_payments as (
    select
        months.month,
        sum(payments.amount) as revenue_to_date,
        count(distinct payments.customer_key) as paying_customers_to_date
    from months
    inner join payments on payments.month <= months.month
    group by months.month
)

select
    months.month,
    coalesce(monthly_payments.paid_revenue, 0) as paid_revenue,
    coalesce(monthly_payments.paying_customers, 0) as paying_customers,
    {{ safe_divide('monthly_payments.paid_revenue', 'monthly_payments.paying_customers') }} as revenue_per_paying_customer,
    coalesce(monthly_orders.paid_orders, 0) as paid_orders,
    coalesce(monthly_orders.paid_order_amount, 0) as paid_order_amount,
    {{ safe_divide('monthly_orders.paid_order_amount', 'monthly_orders.paid_orders') }} as average_order_value,
    coalesce(monthly_new.new_customers, 0) as new_customers,
    coalesce(monthly_new.referred_new_customers, 0) as referred_new_customers,
    {{ safe_divide('monthly_new.referred_new_customers', 'monthly_new.new_customers') }} as referral_rate,
    coalesce(monthly_won.crm_won_amount, 0) as crm_won_amount,
    coalesce(monthly_invoiced.invoiced_amount, 0) as invoiced_amount,
    coalesce(monthly_won.crm_won_amount, 0) - coalesce(monthly_invoiced.invoiced_amount, 0) as crm_invoice_gap,
    coalesce(to_date_orders.customers_to_date, 0) as customers_to_date,
    coalesce(to_date_orders.repeat_customers_to_date, 0) as repeat_customers_to_date,
    {{ safe_divide('to_date_orders.repeat_customers_to_date', 'to_date_orders.customers_to_date') }} as repeat_purchase_rate,
    coalesce(to_date_payments.revenue_to_date, 0) as revenue_to_date,
    coalesce(to_date_payments.paying_customers_to_date, 0) as paying_customers_to_date,
    {{ safe_divide('to_date_payments.revenue_to_date', 'to_date_payments.paying_customers_to_date') }} as clv_historical_per_customer
from months
left join monthly_payments on monthly_payments.month = months.month
left join monthly_orders on monthly_orders.month = months.month
left join monthly_new on monthly_new.month = months.month
left join monthly_invoiced on monthly_invoiced.month = months.month
left join monthly_won on monthly_won.month = months.month
left join to_date_orders on to_date_orders.month = months.month
left join to_date_payments on to_date_payments.month = months.month
