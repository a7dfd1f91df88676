{{ config(
    materialized='incremental',
    unique_key=['member_fingerprint', 'customer_key'],
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
) }}
{#- Every (member set, customer_key) pair ever published, kept across runs, so a test can prove
    that the same members always get the same key: member_fingerprint must stay unique here.

    A run writes only the pairs whose row changes: a member set that is new (or current again)
    and one that stopped being current (retired_at). Stamping every current pair with the run's
    time rewrote all million rows every night for a column nobody reads. -#}
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

{% if is_incremental() %}
,

{#- A table built before retired_at existed held the current sets only as the newest ones:
    each is taken as current, and the run retires those that are not. -#}
held as (
    select
        member_fingerprint,
        customer_key,
        member_records,
        first_built_at,
        {% if relation_has_column(this, 'retired_at') %}retired_at{% else %}cast(null as timestamp with time zone) as retired_at{% endif %}
    from {{ this }}
)

select
    current_keys.member_fingerprint,
    current_keys.customer_key,
    current_keys.member_records,
    coalesce(held.first_built_at, {{ dbt.current_timestamp() }}) as first_built_at,
    cast(null as timestamp with time zone) as retired_at
from current_keys
left join held
    on held.member_fingerprint = current_keys.member_fingerprint
    and held.customer_key = current_keys.customer_key
where held.member_fingerprint is null or held.retired_at is not null

union all

select
    held.member_fingerprint,
    held.customer_key,
    held.member_records,
    held.first_built_at,
    {{ dbt.current_timestamp() }} as retired_at
from held
anti join current_keys
    on current_keys.member_fingerprint = held.member_fingerprint
    and current_keys.customer_key = held.customer_key
where held.retired_at is null
{% else %}
select
    member_fingerprint,
    customer_key,
    member_records,
    {{ dbt.current_timestamp() }} as first_built_at,
    cast(null as timestamp with time zone) as retired_at
from current_keys
{% endif %}
