{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key=['record_id', 'key_type', 'key_value'],
          on_schema_change='sync_all_columns', stamp_column='written_at', removed_log=true,
          changed_rows_scope_column='record_id',
          post_hook=["{{ keep_removed_log() }}", "{{ write_build_mark(identity_scope_fingerprint()) }}"]) }}
{#- Edges of the identity graph are shared strong keys: normalised mobile, email, WeCom unionid,
    credit code, Salesforce account, and the normalised company name. written_at stamps the run
    that added a key to a record, and int_identity__record_keys__removed logs the keys a run took
    away (changed_rows): int_identity__components finds from both the keys whose holders changed
    since its own last build.

    Incremental, exact against a full rebuild: a run computes the keys of the records whose
    sources changed since its last build (identity_record_key_scope: those of
    int_identity__records, the WeCom contacts who wrote in the chats staged since, and the
    records written or removed since), each from every staged row of the record, and compares
    only those with the keys held. -#}
{% set company_domains = var('company_email_domains').split(',') | map('trim') | list %}
{% set scope = changed_rows_scope_query(identity_record_key_scope()) %}
with {{ scope_cte(scope) }}

records as (
    select * from {{ ref('int_identity__records') }}
    where {{ in_scope(scope, 'record_id', 'record_id') }}
),

leads as (
    select * from {{ ref('stg_crm__leads') }}
    where {{ in_scope(scope, 'record_id', "'crm:lead:' || lead_id") }}
),

contact_mobiles as (
    select external_userid, unnest(mobiles) as mobile
    from {{ ref('stg_wecom__external_contacts') }}
    where {{ in_scope(scope, 'record_id', "'wecom:contact:' || external_userid") }}
),

{#- every contact: whether a sender is one (below) does not depend on the scope -#}
contacts as (
    select * from {{ ref('stg_wecom__external_contacts') }}
),

{#- Keys customers write themselves: a mobile in their mail signature, a mobile or address they
    send in chat. Only messages sent by the external party count, so a rep's reply never lends
    its keys to the rep. -#}
signature_mobiles as (
    select from_email as address, unnest(body_mobiles) as mobile
    from {{ ref('stg_email__messages') }}
    where from_email is not null
      and {{ dbt.split_part('from_email', "'@'", 2) }} not in ('{{ company_domains | join("', '") }}')
      and {{ in_scope(scope, 'record_id', "'email:address:' || from_email") }}
),

chat_keys as (
    select messages.sender_id as external_userid, 'mobile' as key_type, unnest(messages.text_mobiles) as key_value
    from {{ ref('stg_wecom__messages') }} as messages
    where messages.sender_id in (select external_userid from contacts)
      and {{ in_scope(scope, 'record_id', "'wecom:contact:' || messages.sender_id") }}
    union all
    select messages.sender_id, 'email', unnest(messages.text_emails)
    from {{ ref('stg_wecom__messages') }} as messages
    where messages.sender_id in (select external_userid from contacts)
      and {{ in_scope(scope, 'record_id', "'wecom:contact:' || messages.sender_id") }}
),

keys as (
    select record_id, 'mobile' as key_type, mobile as key_value from records
    union all
    select record_id, 'email', email from records
    union all
    select record_id, 'wecom_unionid', wecom_unionid from records
    union all
    select record_id, 'credit_code', credit_code from records
    union all
    select 'crm:lead:' || lead_id, 'company', company_norm from leads
    union all
    select 'crm:lead:' || lead_id, 'sf_account', converted_account_id from leads
    union all
    select 'crm:opportunity:' || opportunity_id, 'sf_account', account_id from {{ ref('stg_crm__opportunities') }}
    where {{ in_scope(scope, 'record_id', "'crm:opportunity:' || opportunity_id") }}
    union all
    select 'wecom:contact:' || external_userid, 'mobile', mobile from contact_mobiles
    union all
    select 'wecom:contact:' || external_userid, 'company', company_norm from contacts
    where {{ in_scope(scope, 'record_id', "'wecom:contact:' || external_userid") }}
    union all
    select 'finance:invoice:' || invoice_number, 'company', buyer_company_norm from {{ ref('stg_finance__invoices') }}
    union all
    select 'finance:bank_receipt:' || transaction_id, 'company', counterparty_company_norm
    from {{ ref('stg_finance__bank_receipts') }}
    union all
    select 'email:address:' || address, 'mobile', mobile from signature_mobiles
    union all
    select 'wecom:contact:' || external_userid, key_type, key_value from chat_keys
)

select distinct record_id, key_type, key_value, {{ written_at() }} as written_at
from keys
where key_value is not null and key_value <> ''
