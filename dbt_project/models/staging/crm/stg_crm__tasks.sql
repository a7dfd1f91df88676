{{ config(
    materialized='incremental',
    unique_key='task_id',
    incremental_strategy='delete+insert',
    pre_hook="{{ rebuild_if_raw_history_rewritten(source('raw_crm', 'tasks')) }}",
) }}
{#- Incremental (see macros/incremental.sql): each run stages only the newly loaded raw rows; the
    nightly cost follows the new day, not the history. -#}
with versions as (
    {{ latest_version(raw_rows_since_last_build(source('raw_crm', 'tasks')), ['task_id']) }}
)

select
    task_id,
    who_id,
    what_id,
    subject,
    activity_date,
    lower(task_type) as task_type,
    status as task_status,
    created_at,
    owner_id,
    _source_system as crm_system,
    _source_file as source_file,
    _source_line as source_line,
    _delivery_date as delivery_date,
    _loaded_at as loaded_at
from versions
