{#- Orders as finance sees them: one row per blue (positive) VAT invoice, with its customer,
    whether a red-letter invoice reversed it, what has been paid against it (payments quoting its
    number) and when it was paid in full. A paid order is an unreversed invoice paid in full
    (within var('payment_tolerance') CNY). -#}
with invoices as (
    select * from {{ ref('stg_finance__invoices') }}
),

reversals as (
    select
        {{ regexp_capture('remark', '红冲蓝字[^0-9]*([0-9]{8,20})') }} as invoice_number,
        min(issued_at) as reversed_at
    from invoices
    where not is_positive
    group by 1
),

payments as (
    select
        invoice_number,
        received_at,
        sum(amount) over (
            partition by invoice_number order by received_at, transaction_id
            rows between unbounded preceding and current row
        ) as paid_so_far
    from {{ ref('fct_payments') }}
    where invoice_number is not null
),

components as (
    select * from {{ ref('int_identity__components') }}
),

blue as (
    select
        invoices.invoice_number,
        invoices.issued_at,
        components.customer_key,
        invoices.buyer_name,
        invoices.amount_total,
        invoices.invoice_status = '已红冲' or reversals.invoice_number is not null as is_reversed,
        reversals.reversed_at
    from invoices
    left join reversals on reversals.invoice_number = invoices.invoice_number
    left join components on components.record_id = 'finance:invoice:' || invoices.invoice_number
    where invoices.is_positive
),

paid as (
    select
        blue.invoice_number,
        max(payments.paid_so_far) as paid_amount,
        min(case when payments.paid_so_far >= blue.amount_total - {{ var('payment_tolerance') }}
                 then payments.received_at end) as fully_paid_at
    from blue
    inner join payments on payments.invoice_number = blue.invoice_number
    group by blue.invoice_number
)

select
    blue.invoice_number,
    blue.customer_key,
    blue.buyer_name,
    blue.issued_at,
    {{ local_date('blue.issued_at') }} as issued_date,
    blue.amount_total,
    blue.is_reversed,
    blue.reversed_at,
    coalesce(paid.paid_amount, 0) as paid_amount,
    paid.fully_paid_at,
    not blue.is_reversed and paid.fully_paid_at is not null as is_paid
from blue
left join paid on paid.invoice_number = blue.invoice_number
