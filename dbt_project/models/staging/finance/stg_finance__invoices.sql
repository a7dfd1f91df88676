with versions as (
    {{ latest_version(source('raw_finance', 'invoices'), ['invoice_number']) }}
)

select
    invoice_number,
    issued_at,
    buyer_name,
    buyer_name_norm as buyer_company_norm,
    buyer_credit_code,
    item_name,
    amount_net,
    tax_rate,
    tax_amount,
    amount_total,
    invoice_status,
    coalesce(is_positive, amount_total >= 0) as is_positive,
    remark,
    _source_file as source_file,
    _source_line as source_line
from versions
