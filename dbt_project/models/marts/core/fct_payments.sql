{#- Money received (bank receipts with an incoming amount), one row per receipt, linked to the
    paying customer and — when the payer wrote it in the memo (货款 发票号…) — to the invoice paid. -#}
with receipts as (
    select * from {{ ref('stg_finance__bank_receipts') }}
    where amount_in > 0
),

components as (
    select * from {{ ref('int_identity__components') }}
)

select
    receipts.transaction_id,
    receipts.transacted_at as received_at,
    {{ local_date('receipts.transacted_at') }} as received_date,
    components.customer_key,
    receipts.counterparty_name,
    receipts.amount_in as amount,
    {{ regexp_capture('receipts.memo', '发票号[码]?[:：]?\\s*([0-9]{8,20})') }} as invoice_number,
    receipts.memo
from receipts
left join components on components.record_id = 'finance:bank_receipt:' || receipts.transaction_id
