{{ config(
    materialized='incremental',
    unique_key='lead_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    pre_hook="{{ rebuild_if_raw_history_rewritten(source('raw_crm', 'leads')) }}",
) }}
{#- Incremental, as the event streams are (macros/incremental.sql): the latest versions. -#}
with versions as (
    {{ latest_version(raw_rows_since_last_build(source('raw_crm', 'leads')), ['lead_id']) }}
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
    _source_line as source_line,
    _delivery_date as delivery_date,
    _loaded_at as loaded_at
from versions
