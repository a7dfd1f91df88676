with versions as (
    {{ latest_version(source('raw_finance', 'bank_receipts'), ['transaction_id']) }}
)

select
    transaction_id,
    transacted_at,
    counterparty_name,
    counterparty_name_norm as counterparty_company_norm,
    counterparty_account,
    amount_in,
    amount_out,
    memo,
    _source_file as source_file,
    _source_line as source_line
from versions
