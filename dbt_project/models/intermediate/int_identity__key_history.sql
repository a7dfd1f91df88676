{{ config(
    materialized='incremental',
    unique_key=['member_fingerprint', 'customer_key'],
    incremental_strategy='delete+insert',
) }}
{#- Every (member set, customer_key) pair ever published, kept across runs, so a test can prove
    that the same members always get the same key: member_fingerprint must stay unique here. -#}
with components as (
    select * from {{ ref('int_identity__components') }}
),

current_keys as (
    select
        customer_key,
        md5({{ sorted_string_agg('record_id', "'|'") }}) as member_fingerprint,
        count(*) as member_records
    from components
    group by customer_key
)

select
    current_keys.member_fingerprint,
    current_keys.customer_key,
    current_keys.member_records,
    {% if is_incremental() %}
    coalesce(previous.first_built_at, current_timestamp) as first_built_at,
    {% else %}
    current_timestamp as first_built_at,
    {% endif %}
    current_timestamp as last_built_at
from current_keys
{% if is_incremental() %}
left join {{ this }} as previous
    on previous.member_fingerprint = current_keys.member_fingerprint
    and previous.customer_key = current_keys.customer_key
{% endif %}
