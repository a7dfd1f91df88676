{#- A view: the table it would copy (int_touchpoints, six million rows at a million customers)
    is already built; writing it again cost more than every reader's projection of it. The
    published copy is a table in the serving store all the same. -#}
{{ config(materialized='view') }}

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
