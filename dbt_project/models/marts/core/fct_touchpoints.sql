select
    touchpoints.touchpoint_id,
    touchpoints.channel,
    touchpoints.touch_type,
    touchpoints.occurred_at,
    touchpoints.direction,
    components.customer_key,
    touchpoints.rep_id,
    touchpoints.customer_record_id
from {{ ref('int_touchpoints') }} as touchpoints
left join {{ ref('int_identity__components') }} as components
    on components.record_id = touchpoints.customer_record_id
