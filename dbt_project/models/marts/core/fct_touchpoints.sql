select
    touchpoint_id,
    channel,
    touch_type,
    occurred_at,
    direction,
    customer_key,
    rep_id,
    customer_record_id
from {{ ref('int_touchpoints') }}
