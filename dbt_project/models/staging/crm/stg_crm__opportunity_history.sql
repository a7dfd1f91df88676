{{ config(
    materialized='incremental',
    unique_key='history_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    pre_hook="{{ rebuild_if_raw_history_rewritten(source('raw_crm', 'opportunity_history')) }}",
) }}
{#- Incremental, as the event streams are (macros/incremental.sql): the latest versions. -#}
with versions as (
    {{ latest_version(raw_rows_since_last_build(source('raw_crm', 'opportunity_history')), ['history_id']) }}
)

select
    history_id,
    opportunity_id,
    stage_name,
    amount,
    probability,
    close_date,
    created_at as changed_at,
    created_by_id as changed_by,
    _source_system as crm_system,
    _source_file as source_file,
    _source_line as source_line,
    _delivery_date as delivery_date,
    _loaded_at as loaded_at
from versions
