{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key=['journey_id', 'spell_sequence'], on_schema_change='sync_all_columns',
          stamp_column='written_at',
          changed_rows_scope_column='journey_id',
          post_hook="{{ write_build_mark(stage_move_evidence_fingerprint()) }}") }}
{#- K18 gate compliance: for every move into a stage that stage_gate_rules gates, whether each
    required piece of evidence (an outbound touch to the journey's customer whose content matches
    the rule's pattern, sent at or before the move) exists. Moves into ungated stages have no row.
    written_at stamps the run that last wrote
    the row: fct_stage_transitions computes again the journeys with a row written since its own
    last build.

    Incremental, exact against a full rebuild: a night computes only the journeys whose moves,
    customer or customer's touches changed since the last build (stage_move_evidence_scope). -#}
{% set scope = changed_rows_scope_query(stage_move_evidence_scope()) %}
with {{ scope_cte(scope) }}

moves as (
    select journey_id, spell_sequence, stage, entered_at
    from {{ ref('int_stage_spells') }}
    where spell_sequence > 1 and {{ in_scope(scope, 'journey_id', 'journey_id') }}
),

journeys as (
    select journey_id, customer_key from {{ ref('int_funnel_journeys') }}
    where {{ in_scope(scope, 'journey_id', 'journey_id') }}
),

rules as (
    select * from {{ ref('stage_gate_rules') }}
),

{#- Only the touches that match some rule can be evidence: one constant pattern (the rules'
    patterns, lower-cased, as alternatives; matches_any_pattern ignores case besides, so it keeps
    a superset) keeps those, and the rule's own pattern, taken from its row and so compiled again
    for every pair, is tried on them alone. Tried on every genuine outbound touch it took 3.3 s
    of CPU at a million customers. -#}
touches as (
    select touches.customer_key, touches.occurred_at, lower(coalesce(events.content, '')) as content
    from {{ ref('int_touchpoints') }} as touches
    inner join {{ ref('int_touch_events') }} as events on events.touchpoint_id = touches.touchpoint_id
    where touches.is_genuine_outbound and touches.customer_key is not null
      {%- if scope is not none %}
      and touches.customer_key in (select customer_key from journeys)
      {%- endif %}
      and {{ matches_any_pattern("lower(events.content)", ref('stage_gate_rules'), 'lower(pattern)') }}
),

checks as (
    select
        moves.journey_id,
        moves.spell_sequence,
        rules.evidence,
        exists (
            select 1 from touches
            where touches.customer_key = journeys.customer_key
              and touches.occurred_at <= moves.entered_at
              and regexp_matches(touches.content, lower(rules.pattern))
        ) as is_found
    from moves
    inner join rules on rules.to_stage = moves.stage
    left join journeys on journeys.journey_id = moves.journey_id
)

select
    journey_id,
    spell_sequence,
    string_agg(evidence, ',' order by evidence) as required_evidence,
    string_agg(case when not is_found then evidence end, ',' order by evidence) as missing_evidence,
    bool_and(is_found) as has_required_evidence,
    {{ written_at() }} as written_at
from checks
group by journey_id, spell_sequence
