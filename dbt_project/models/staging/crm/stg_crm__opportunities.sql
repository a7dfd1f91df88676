{{ config(
    materialized='incremental',
    unique_key='opportunity_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    pre_hook="{{ rebuild_if_raw_history_rewritten(source('raw_crm', 'opportunities')) }}",
) }}
{#- Incremental, as the event streams are (macros/incremental.sql): the latest versions. -#}
with versions as (
    {{ latest_version(raw_rows_since_last_build(source('raw_crm', 'opportunities')), ['opportunity_id']) }}
)

select
    opportunity_id,
    account_id,
    name as opportunity_name,
    stage_name,
    amount,
    probability,
    close_date,
    coalesce(is_closed, false) as is_closed,
    coalesce(is_won, false) as is_won,
    lead_source,
    owner_id,
    created_at,
    last_modified_at,
    _source_system as crm_system,
    _source_file as source_file,
    _source_line as source_line,
    _delivery_date as delivery_date,
    _loaded_at as loaded_at
from versions
