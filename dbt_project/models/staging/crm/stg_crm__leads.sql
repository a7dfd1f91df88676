{#- A table, not a view: picking the latest version of each record is a window over every
    delivered version, and several models read this one; as a view each of them paid for it. -#}
{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key='lead_id', on_schema_change='sync_all_columns') }}

with versions as (
    {{ latest_version(source('raw_crm', 'leads'), ['lead_id']) }}
)

select
    lead_id,
    trim(coalesce(last_name, '') || coalesce(first_name, '')) as contact_name,
    company as company_name,
    company_norm,
    email_norm as email,
    mobile_e164 as mobile,
    lead_source,
    status as lead_status,
    rating,
    owner_id,
    created_at,
    converted_date,
    converted_account_id,
    converted_opportunity_id,
    coalesce(is_converted, false) as is_converted,
    _source_system as crm_system,
    _source_file as source_file,
    _source_line as source_line
from versions
