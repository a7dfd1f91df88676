{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key='journey_id',
          on_schema_change='sync_all_columns', stamp_column='written_at', removed_log=true,
          changed_rows_scope_column='journey_id',
          post_hook=["{{ keep_removed_log() }}", "{{ write_build_mark(unstamped_inputs_fingerprint([])) }}"]) }}
{#- A funnel journey is a lead (followed through the opportunity it converted into) or, for an
    opportunity created without a lead (e.g. a repeat order), the opportunity itself.

    Incremental, exact against a full rebuild: a night computes only the journeys of the leads
    and opportunities staged since the last build (journey_links_scope). written_at stamps the
    run that last wrote a row and int_funnel__journey_links__removed logs the journeys a run
    removed: the stage events and journeys downstream find there what changed since theirs. -#}
{% set scope = changed_rows_scope_query(journey_links_scope()) %}
with {{ scope_cte(scope) }}

leads as (
    select * from {{ ref('stg_crm__leads') }}
),

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

converted as (
    select converted_opportunity_id as opportunity_id, min(lead_id) as lead_id
    from leads
    where converted_opportunity_id is not null
    group by converted_opportunity_id
)

select
    'lead:' || leads.lead_id as journey_id,
    'lead' as journey_type,
    leads.lead_id,
    leads.converted_opportunity_id as opportunity_id,
    leads.created_at,
    leads.lead_source as source_channel,
    leads.crm_system,
    leads.owner_id,
    {{ written_at() }} as written_at
from leads
where {{ in_scope(scope, 'journey_id', "'lead:' || leads.lead_id") }}
union all
select
    'opportunity:' || opportunities.opportunity_id,
    'opportunity',
    null,
    opportunities.opportunity_id,
    opportunities.created_at,
    opportunities.lead_source,
    opportunities.crm_system,
    opportunities.owner_id,
    {{ written_at() }}
from opportunities
left join converted on converted.opportunity_id = opportunities.opportunity_id
where converted.lead_id is null
  and {{ in_scope(scope, 'journey_id', "'opportunity:' || opportunities.opportunity_id") }}
