{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key=['journey_id', 'spell_sequence'], on_schema_change='sync_all_columns',
          stamp_column='written_at', removed_log=true,
          changed_rows_scope_column='journey_id',
          post_hook=["{{ keep_removed_log() }}", "{{ write_build_mark(unstamped_inputs_fingerprint([])) }}"]) }}
-- depends_on: {{ ref('int_funnel__journey_links') }}
{#- One row per visit of a journey to a canonical stage: consecutive entries into the same
    canonical stage (Qualification → Needs Analysis, both `intent`) are one visit. A visit ends
    when the next one starts; the current visit has no end. Amount and expected close date are
    the opportunity's as recorded when the visit began (OpportunityHistory), so a past day's
    pipeline can be rebuilt (K28) and dwell measured (K13, K26). written_at stamps the run that
    last wrote the row: fct_stage_transitions computes again the journeys with a row written since
    its own last build.

    Incremental, exact against a full rebuild: a night computes only the journeys whose stage
    events were written or removed since the last build, or whose opportunity has history staged
    since (stage_spells_scope; the journey links, a dependency above, map history to journeys). -#}
{% set scope = changed_rows_scope_query(stage_spells_scope()) %}
with {{ scope_cte(scope) }}

events as (
    select * from {{ ref('int_stage_events') }}
    where {{ in_scope(scope, 'journey_id', 'journey_id') }}
),

history as (
    select history_id, amount, close_date from {{ ref('stg_crm__opportunity_history') }}
),

with_previous as (
    select
        *,
        lag(canonical_stage) over (partition by journey_id order by event_sequence) as previous_event_stage
    from events
),

entries as (
    select *
    from with_previous
    where previous_event_stage is null or previous_event_stage <> canonical_stage
),

spells as (
    select
        journey_id,
        row_number() over (partition by journey_id order by event_sequence) as spell_sequence,
        event_sequence,
        event_source,
        source_record_id,
        source_stage,
        canonical_stage as stage,
        stage_order,
        entered_at,
        moved_by,
        lead(entered_at) over (partition by journey_id order by event_sequence) as exited_at,
        lead(canonical_stage) over (partition by journey_id order by event_sequence) as next_stage
    from entries
)

select
    spells.journey_id,
    spells.spell_sequence,
    spells.event_sequence,
    spells.stage,
    spells.stage_order,
    spells.source_stage,
    spells.entered_at,
    spells.exited_at,
    spells.next_stage,
    spells.moved_by,
    spells.exited_at is null as is_current,
    {{ dbt.datediff('spells.entered_at', 'spells.exited_at', 'second') }} / 86400.0 as dwell_days,
    history.amount,
    history.close_date as expected_close_date,
    {{ written_at() }} as written_at
from spells
left join history
    on spells.event_source = 'opportunity_history' and history.history_id = spells.source_record_id
