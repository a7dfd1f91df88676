{#- A table, not a view: picking the latest version of each record is a window over every
    delivered version, and several models read this one; as a view each of them paid for it. -#}
{{ config(materialized='table') }}

with versions as (
    {{ latest_version(source('raw_crm', 'opportunity_history'), ['history_id']) }}
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
    _source_line as source_line
from versions
