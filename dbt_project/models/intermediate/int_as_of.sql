{#- The night's "now": the latest activity in the data (a touch, a lead, a stage move, an
    invoice or a payment). Snapshot KPIs (K08, K24, K26, K27) and due checkpoints (K19) are
    taken as of this instant rather than the wall clock, so a replayed history gives the same
    result. One row. -#}
select greatest(
    (select max(occurred_at) from {{ ref('int_touchpoints') }} where customer_key is not null),
    (select max(created_at) from {{ ref('stg_crm__leads') }}),
    (select max(entered_at) from {{ ref('int_stage_events') }}),
    (select max(issued_at) from {{ ref('stg_finance__invoices') }}),
    (select max(transacted_at) from {{ ref('stg_finance__bank_receipts') }})
) as as_of_at
