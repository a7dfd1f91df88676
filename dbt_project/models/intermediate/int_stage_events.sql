{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key=['journey_id', 'event_sequence'], on_schema_change='sync_all_columns',
          stamp_column='written_at', removed_log=true,
          changed_rows_scope_column='journey_id',
          post_hook=["{{ keep_removed_log() }}", "{{ write_build_mark(stage_events_fingerprint()) }}"]) }}
{#- Every entry of a journey into a canonical stage: the lead's creation enters `lead`, each
    OpportunityHistory row enters the canonical stage its vendor stage maps to (stage_map seed).

    Incremental, exact against a full rebuild: a night computes only the journeys whose link
    was written or removed since the last build, or whose opportunity has history staged since
    (stage_events_scope), each from all its history. written_at and
    int_stage_events__removed tell the journeys and visits downstream what changed. -#}
{% set scope = changed_rows_scope_query(stage_events_scope()) %}
with {{ scope_cte(scope) }}

journeys as (
    select * from {{ ref('int_funnel__journey_links') }}
    where {{ in_scope(scope, 'journey_id', 'journey_id') }}
),

history as (
    select * from {{ ref('stg_crm__opportunity_history') }}
),

stage_map as (
    select * from {{ ref('stage_map') }}
    where record_type = 'opportunity'
),

stages as (
    select * from {{ ref('canonical_stages') }}
),

events as (
    select
        journey_id,
        'lead_created' as event_source,
        lead_id as source_record_id,
        'lead' as source_stage,
        'lead' as canonical_stage,
        created_at as entered_at,
        owner_id as moved_by
    from journeys
    where journey_type = 'lead'
    union all
    select
        journeys.journey_id,
        'opportunity_history',
        history.history_id,
        history.stage_name,
        stage_map.canonical_stage,
        history.changed_at,
        history.changed_by
    from history
    inner join journeys on journeys.opportunity_id = history.opportunity_id
    left join stage_map
        on stage_map.source_system = history.crm_system
        and stage_map.source_stage = history.stage_name
)

select
    events.journey_id,
    events.event_source,
    events.source_record_id,
    events.source_stage,
    events.canonical_stage,
    stages.stage_order,
    events.entered_at,
    events.moved_by,
    row_number() over (
        partition by events.journey_id
        order by events.entered_at, case when events.event_source = 'lead_created' then 0 else 1 end,
                 events.source_record_id
    ) as event_sequence,
    {{ written_at() }} as written_at
from events
left join stages on stages.stage = events.canonical_stage
