{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key=['lead_id', 'spell_number'],
          on_schema_change='sync_all_columns', stamp_column='written_at', removed_log=true, removed_log_columns=['customer_key'],
          changed_rows_scope_column='lead_id',
          post_hook=["{{ keep_removed_log() }}", "{{ write_build_mark(lead_spells_fingerprint()) }}"]) }}
{#- The stretches during which each lead was open. A lead opens when it is created; each export
    version (stg_crm__lead_versions) tells its status at the end of that day: a status that maps
    to canonical `lead` is open, any other (converted, dropped) closed. A closed lead that shows
    an open status again was re-opened and gets a new spell. Changes are placed at the end of the
    local export day, the finest time the exports carry. Each spell carries the lead's customer,
    owner and channel for the KPIs built on it (K15, K17).

    Incremental, exact against a full rebuild: a night computes only the leads staged since the
    last build or whose int_lead_first_response row changed (lead_spells_scope), each from all
    its versions. Every spell a run rewrites or removes is logged with the customer it was held
    under, for the per-customer models built on the spells (int_customer_weekly_follow_ups). -#}
{% set scope = changed_rows_scope_query(lead_spells_scope()) %}
with {{ scope_cte(scope) }}

leads as (
    select lead_id, created_at from {{ ref('stg_crm__leads') }}
    where {{ in_scope(scope, 'lead_id', 'lead_id') }}
),

stage_map as (
    select * from {{ ref('stage_map') }}
    where record_type = 'lead'
),

states as (
    select lead_id, created_at as observed_at, 0 as state_order, true as is_open
    from leads
    union all
    select
        versions.lead_id,
        greatest(leads.created_at, {{ local_day_start(dbt.dateadd('day', 1, 'versions.observed_on')) }}),
        1,
        coalesce(stage_map.canonical_stage, 'lead') = 'lead'
    from {{ ref('stg_crm__lead_versions') }} as versions
    inner join leads on leads.lead_id = versions.lead_id
    left join stage_map
        on stage_map.source_system = versions.crm_system and stage_map.source_stage = versions.lead_status
),

ordered as (
    select
        *,
        lag(is_open) over (partition by lead_id order by observed_at, state_order) as previous_is_open
    from states
),

changes as (
    select
        lead_id,
        observed_at,
        is_open,
        lead(observed_at) over (partition by lead_id order by observed_at, state_order) as next_change_at
    from ordered
    where previous_is_open is null or previous_is_open <> is_open
)

select
    changes.lead_id,
    row_number() over (partition by changes.lead_id order by changes.observed_at) as spell_number,
    changes.observed_at as opened_at,
    changes.next_change_at as closed_at,
    leads.customer_key,
    leads.owner_rep_id,
    leads.channel,
    {{ written_at() }} as written_at
from changes
inner join {{ ref('int_lead_first_response') }} as leads on leads.lead_id = changes.lead_id
where changes.is_open
