{#- K20/K21 per customer: paid orders, repeat flag, historical CLV (money received to date) and
    predictive CLV = average order value × purchase frequency × var('clv_expected_lifespan_years'),
    where the frequency is the population's paid orders per paying customer over the trailing
    var('clv_frequency_window_days') days before the data's as-of instant. -#}
with customers as (
    select * from {{ ref('int_customer_orders') }}
),

as_of as (
    select as_of_at from {{ ref('int_as_of') }}
),

recent_orders as (
    select orders.customer_key
    from {{ ref('fct_orders') }} as orders
    cross join as_of
    where orders.is_paid
      and orders.fully_paid_at > {{ dbt.dateadd('day', -var('clv_frequency_window_days'), 'as_of.as_of_at') }}
      and orders.fully_paid_at <= as_of.as_of_at
),

frequency as (
    select
        count(*) as window_orders,
        count(distinct customer_key) as window_customers,
        {{ safe_divide('count(*)', 'count(distinct customer_key)') }} as purchase_frequency
    from recent_orders
)

select
    customers.customer_key,
    customers.acquisition_channel,
    customers.is_referred,
    customers.first_order_paid_at,
    customers.last_order_paid_at,
    customers.paid_orders,
    customers.paid_order_amount,
    customers.paid_orders >= 2 as is_repeat_customer,
    {{ safe_divide('customers.paid_order_amount', 'customers.paid_orders') }} as average_order_value,
    customers.paid_revenue as clv_historical,
    frequency.purchase_frequency,
    cast({{ var('clv_expected_lifespan_years') }} as double precision) as expected_lifespan_years,
    {{ safe_divide('customers.paid_order_amount', 'customers.paid_orders') }}
        * frequency.purchase_frequency * {{ var('clv_expected_lifespan_years') }} as clv_predictive
from customers
cross join frequency
