{#- The revenue KPIs must add up to the money finance recorded: the months of
    mart_revenue_monthly together hold every payment and every invoice (within
    var('payment_tolerance') per month covered). A row here is a month set that does not reconcile. -#}
with marts as (
    select sum(paid_revenue) as paid_revenue, sum(invoiced_amount) as invoiced_amount, count(*) as months
    from {{ ref('mart_revenue_monthly') }}
),

finance as (
    select
        (select coalesce(sum(amount), 0) from {{ ref('fct_payments') }}) as paid_revenue,
        (select coalesce(sum(amount_total), 0) from {{ ref('stg_finance__invoices') }}) as invoiced_amount
)

select marts.*, finance.paid_revenue as finance_paid, finance.invoiced_amount as finance_invoiced
from marts
cross join finance
where abs(coalesce(marts.paid_revenue, 0) - finance.paid_revenue) > {{ var('payment_tolerance') }} * greatest(marts.months, 1)
   or abs(coalesce(marts.invoiced_amount, 0) - finance.invoiced_amount) > {{ var('payment_tolerance') }} * greatest(marts.months, 1)
