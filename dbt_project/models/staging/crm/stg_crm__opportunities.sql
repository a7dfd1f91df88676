{{ config(
    materialized='incremental',
    unique_key='opportunity_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    pre_hook="{{ rebuild_if_raw_history_rewritten(source('raw_crm', 'opportunities')) }}",
) }}
{#- Incremental (see macros/incremental.sql): picking the latest version of each record is a
    window over the delivered versions, which several models read, so it is kept in a table; a
    run stages only the newly loaded raw rows, a newer version replacing the one held, and the
    nightly cost follows the new day, not the history. -#}
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
