{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key='transition_id', on_schema_change='append_new_columns') }}
{#- One row per move of a journey between canonical stages (int_stage_spells: consecutive
    entries into the same canonical stage are not moves), with the dwell in the stage it left
    and the evidence the entered stage requires (K18). -#}
with spells as (
    select * from {{ ref('int_stage_spells') }}
),

moves as (
    select
        *,
        lag(stage) over (partition by journey_id order by spell_sequence) as from_stage,
        lag(stage_order) over (partition by journey_id order by spell_sequence) as from_stage_order,
        lag(entered_at) over (partition by journey_id order by spell_sequence) as from_stage_entered_at
    from spells
),

journeys as (
    select * from {{ ref('int_funnel_journeys') }}
),

evidence as (
    select * from {{ ref('int_stage_move_evidence') }}
)

select
    {{ dbt.hash("moves.journey_id || ':' || cast(moves.event_sequence as varchar)") }} as transition_id,
    moves.journey_id,
    journeys.lead_id,
    journeys.opportunity_id,
    journeys.customer_key,
    moves.from_stage,
    moves.stage as to_stage,
    moves.entered_at as moved_at,
    moves.moved_by,
    moves.source_stage,
    case
        when moves.from_stage_order is not null and moves.stage_order is not null
            then moves.stage_order > moves.from_stage_order
        when moves.from_stage is null then true
        else moves.stage in ('won', 'lost')
    end as is_forward,
    coalesce(moves.from_stage = 'lost', false) as is_reopened,
    case
        when moves.from_stage_order is not null and moves.stage_order > moves.from_stage_order
            then moves.stage_order - moves.from_stage_order - 1
        else 0
    end as stages_skipped,
    moves.from_stage_entered_at,
    {{ dbt.datediff('moves.from_stage_entered_at', 'moves.entered_at', 'second') }} / 86400.0 as from_stage_dwell_days,
    evidence.required_evidence,
    evidence.missing_evidence,
    coalesce(evidence.has_required_evidence, true) as has_required_evidence
from moves
left join journeys on journeys.journey_id = moves.journey_id
left join evidence
    on evidence.journey_id = moves.journey_id and evidence.spell_sequence = moves.spell_sequence
