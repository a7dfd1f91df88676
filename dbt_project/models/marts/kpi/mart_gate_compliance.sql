{#- K18 gate compliance 关卡合规率: forward moves between stages that carried the evidence the
    entered stage requires (stage_gate_rules) ÷ all forward moves, by month of the move
    (Asia/Shanghai), stage entered and owner. Moves into ungated stages comply by definition. -#}
with moves as (
    select
        transitions.to_stage,
        transitions.has_required_evidence,
        {{ local_month('transitions.moved_at') }} as moved_month,
        journeys.owner_rep_id
    from {{ ref('fct_stage_transitions') }} as transitions
    inner join {{ ref('int_journey_outcomes') }} as journeys on journeys.journey_id = transitions.journey_id
    where transitions.from_stage is not null
      and transitions.is_forward
      and transitions.to_stage <> 'lost'
)

select
    moved_month,
    to_stage,
    owner_rep_id,
    count(*) as advances,
    {{ count_where('has_required_evidence') }} as compliant_advances,
    {{ safe_divide(count_where('has_required_evidence'), 'count(*)') }} as gate_compliance_rate
from moves
group by moved_month, to_stage, owner_rep_id
