{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='journey_id',
    on_schema_change='append_new_columns',
    post_hook=[
        "delete from {{ this }} where journey_id not in (select journey_id from {{ ref('int_stage_spells') }})",
        "{{ write_build_mark(unstamped_inputs_fingerprint([ref('stage_gate_rules')])) }}",
    ],
) }}
{#- One row per move of a journey between canonical stages (int_stage_spells: consecutive
    entries into the same canonical stage are not moves), with the dwell in the stage it left
    and the evidence the entered stage requires (K18).

    Incremental, exact against a full rebuild, by journey: a journey's moves follow from its
    spells, its row in int_funnel_journeys and its evidence rows, so a run computes again (and
    replaces whole) the journeys with any of those rows written since this model's last build
    (their written_at stamps against the build mark). No log of removed rows is needed: a
    spell that goes changes another spell of its journey (the one before it ends differently,
    or the ones after it are numbered anew) unless the whole journey goes, and a journey no
    longer among the spells is deleted (post-hook); an evidence row goes only when its move
    changes or the gate rules do, and the rules are in the build mark's fingerprint. A night
    moves a few thousand of a million journeys. A build with no mark, or whose code or gate
    rules changed since it, computes every journey. -#}
{% set fingerprint = unstamped_inputs_fingerprint([ref('stage_gate_rules')]) %}
{% set mark = held_build_mark() %}
{% set scoped = mark is not none
    and mark.fingerprint == run_query('select ' ~ fingerprint).columns[0].values()[0] %}

with {% if scoped %}changed_journeys as (
    select journey_id from {{ ref('int_stage_spells') }} where written_at > '{{ mark.built_at }}'::timestamptz
    union
    select journey_id from {{ ref('int_funnel_journeys') }} where written_at > '{{ mark.built_at }}'::timestamptz
    union
    select journey_id from {{ ref('int_stage_move_evidence') }} where written_at > '{{ mark.built_at }}'::timestamptz
),

{% endif %}spells as (
    select spells.* from {{ ref('int_stage_spells') }} as spells{% if scoped %}
    semi join changed_journeys on changed_journeys.journey_id = spells.journey_id{% endif %}
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
    select journeys.* from {{ ref('int_funnel_journeys') }} as journeys{% if scoped %}
    semi join changed_journeys on changed_journeys.journey_id = journeys.journey_id{% endif %}
),

evidence as (
    select evidence.* from {{ ref('int_stage_move_evidence') }} as evidence{% if scoped %}
    semi join changed_journeys on changed_journeys.journey_id = evidence.journey_id{% endif %}
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
