{#- A table, not a view: picking the latest version of each record is a window over every
    delivered version, and several models read this one; as a view each of them paid for it. -#}
{{ config(materialized='table') }}

with versions as (
    {{ latest_version(source('raw_crm', 'opportunities'), ['opportunity_id']) }}
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
    _source_line as source_line
from versions
