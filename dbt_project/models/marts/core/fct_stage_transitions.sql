{#- One row per move of a journey between canonical stages. Consecutive entries into the same
    canonical stage (e.g. Qualification → Needs Analysis, both `intent`) are not moves. -#}
with events as (
    select * from {{ ref('int_stage_events') }}
),

with_previous as (
    select
        *,
        lag(canonical_stage) over (partition by journey_id order by event_sequence) as previous_event_stage
    from events
),

stage_entries as (
    select *
    from with_previous
    where previous_event_stage is null or previous_event_stage <> canonical_stage
),

moves as (
    select
        *,
        lag(canonical_stage) over (partition by journey_id order by event_sequence) as from_stage,
        lag(stage_order) over (partition by journey_id order by event_sequence) as from_stage_order,
        lag(entered_at) over (partition by journey_id order by event_sequence) as from_stage_entered_at
    from stage_entries
),

journeys as (
    select * from {{ ref('int_funnel_journeys') }}
)

select
    {{ dbt.hash("moves.journey_id || ':' || cast(moves.event_sequence as varchar)") }} as transition_id,
    moves.journey_id,
    journeys.lead_id,
    journeys.opportunity_id,
    journeys.customer_key,
    moves.from_stage,
    moves.canonical_stage as to_stage,
    moves.entered_at as moved_at,
    moves.moved_by,
    moves.source_stage,
    case
        when moves.from_stage_order is not null and moves.stage_order is not null
            then moves.stage_order > moves.from_stage_order
        when moves.from_stage is null then true
        else moves.canonical_stage in ('won', 'lost')
    end as is_forward,
    case
        when moves.from_stage_order is not null and moves.stage_order > moves.from_stage_order
            then moves.stage_order - moves.from_stage_order - 1
        else 0
    end as stages_skipped,
    moves.from_stage_entered_at,
    {{ dbt.datediff('moves.from_stage_entered_at', 'moves.entered_at', 'second') }} / 86400.0 as from_stage_dwell_days
from moves
left join journeys on journeys.journey_id = moves.journey_id
