{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key='record_id',
          on_schema_change='sync_all_columns', stamp_column='written_at', removed_log=true,
          changed_rows_scope_column='record_id',
          post_hook=["{{ keep_removed_log() }}", "{{ write_build_mark(identity_scope_fingerprint()) }}"]) }}
{#- Every source record that can belong to a customer, with the attributes it offers for the
    golden record. record_id = <source>:<entity>:<natural id>. written_at stamps the run that last
    wrote the record's row (changed_rows leaves an unchanged row as it was), so dim_customer
    finds the records that changed since its own last build; a record gone is logged in
    int_identity__records__removed.

    Incremental, exact against a full rebuild: a run computes only the records whose staged
    rows changed since its last build (identity_record_scope: the leads, opportunities and
    contacts staged since, the addresses of the mails staged since, all finance records), each
    from every staged row of its natural id, and compares only those with the rows held. -#}
{% set company_domains = var('company_email_domains').split(',') | map('trim') | list %}
{% set scope = changed_rows_scope_query(identity_record_scope()) %}

with {{ scope_cte(scope) }}

leads as (
    select * from {{ ref('stg_crm__leads') }}
    where {{ in_scope(scope, 'record_id', "'crm:lead:' || lead_id") }}
),

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
    where {{ in_scope(scope, 'record_id', "'crm:opportunity:' || opportunity_id") }}
),

contacts as (
    select
        external_userid,
        max(display_name) as display_name,
        max(company_name) as company_name,
        max(company_norm) as company_norm,
        max(unionid) as unionid,
        max(mobiles[1]) as mobile,
        min(added_at) as first_added_at,
        {#- the first rep to add the contact, and how they noted it (of two added at the same
            instant, the smaller rep userid, in both columns and in every run) -#}
        arg_min(remark, {'at': added_at, 'rep': rep_userid}) filter (where added_at is not null) as remark,
        arg_min(rep_userid, {'at': added_at, 'rep': rep_userid}) filter (where added_at is not null) as rep_userid
    from {{ ref('stg_wecom__external_contacts') }}
    where {{ in_scope(scope, 'record_id', "'wecom:contact:' || external_userid") }}
    group by external_userid
),

emails as (
    select * from {{ ref('stg_email__messages') }}
),

{#- Each address with the name it signs with and the address on the other side of the mail
    (the rep, when the address is a customer's). -#}
email_addresses as (
    select from_email as address, from_name as display_name, sent_at, to_emails[1] as other_address from emails
    union all
    select unnest(to_emails) as address, cast(null as varchar) as display_name, sent_at, from_email from emails
),

external_addresses as (
    select
        address,
        max(display_name) as display_name,
        min(sent_at) as first_seen_at,
        arg_min(other_address, {'at': sent_at, 'address': other_address}) filter (where sent_at is not null)
            as rep_address
    from email_addresses
    where address is not null
      and {{ dbt.split_part('address', "'@'", 2) }} not in ('{{ company_domains | join("', '") }}')
      and {{ in_scope(scope, 'record_id', "'email:address:' || address") }}
    group by address
),

invoices as (
    select * from {{ ref('stg_finance__invoices') }}
),

receipts as (
    select * from {{ ref('stg_finance__bank_receipts') }}
),

records as (
    select
        'crm:lead:' || lead_id as record_id, 'crm' as source, 'lead' as entity, lead_id as natural_id,
        created_at as observed_at, nullif(contact_name, '') as customer_name, company_name,
        company_norm, cast(null as varchar) as credit_code, mobile, email,
        cast(null as varchar) as wecom_external_userid, cast(null as varchar) as wecom_unionid,
        cast(null as varchar) as remark, owner_id as source_rep_id
    from leads
    union all
    select
        'crm:opportunity:' || opportunity_id, 'crm', 'opportunity', opportunity_id,
        created_at, null, null, null, null, null, null, null, null, null, owner_id
    from opportunities
    union all
    select
        'wecom:contact:' || external_userid, 'wecom', 'contact', external_userid,
        first_added_at, display_name, company_name, company_norm, null, mobile, null, external_userid, unionid,
        remark, rep_userid
    from contacts
    union all
    select
        'email:address:' || address, 'email', 'address', address,
        first_seen_at, nullif(display_name, ''), null, null, null, null, address, null, null, null, rep_address
    from external_addresses
    union all
    select
        'finance:invoice:' || invoice_number, 'finance', 'invoice', invoice_number,
        issued_at, null, buyer_name, buyer_company_norm, buyer_credit_code, null, null, null, null, null, null
    from invoices
    union all
    select
        'finance:bank_receipt:' || transaction_id, 'finance', 'bank_receipt', transaction_id,
        transacted_at, null, counterparty_name, counterparty_company_norm, null, null, null, null, null, null, null
    from receipts
)

select *, {{ written_at() }} as written_at from records
