{{ config(
    materialized='incremental',
    unique_key=['member_fingerprint', 'customer_key'],
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook=["{{ write_build_mark(unstamped_inputs_fingerprint([])) }}"],
) }}
{#- Every (member set, customer_key) pair ever published, kept across runs, so a test can prove
    that the same members always get the same key: member_fingerprint must stay unique here.

    A run writes only the pairs whose row changes: a member set that is new (or current again)
    and one that stopped being current (retired_at). Stamping every current pair with the run's
    time rewrote all million rows every night for a column nobody reads.

    Incremental, exact against a full rebuild: a run fingerprints again only the customers with
    a member labelled since its last build (int_identity__components' written_at against this
    model's build mark), and retires besides the current sets of customers no longer among the
    components. A customer's members change only when it gains a record, which is labelled, or
    loses one: int_identity__components then labels again every member of its previous
    component (the records that stay are stamped too), or none stays and the customer is gone
    (dim_customer finds its customers to compute again the same way). Hashing the sorted member
    ids of every customer cost 3.5 s a night at a million customers for the few thousand whose
    members changed. Without a mark, or built by other code since, every customer is
    fingerprinted and compared. -#}
{% set mark = held_mark_with_fingerprint(unstamped_inputs_fingerprint([])) %}

with components as (
    select * from {{ ref('int_identity__components') }}
),

{% if mark is not none %}
changed_customers as (
    select distinct customer_key from components where written_at > {{ mark.since }}
),
{% endif %}

current_keys as (
    select
        customer_key,
        md5({{ sorted_string_agg('record_id', "'|'") }}) as member_fingerprint,
        count(*) as member_records
    from components
    {% if mark is not none %}
    semi join changed_customers using (customer_key)
    {% endif %}
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
),

{#- the current sets held that this run may find retired: all, or those of the customers
    fingerprinted again and of the customers gone -#}
held_current as (
    select * from held
    where retired_at is null
    {% if mark is not none %}
      and (customer_key in (select customer_key from changed_customers)
           or customer_key not in (select customer_key from components))
    {% endif %}
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
    held_current.member_fingerprint,
    held_current.customer_key,
    held_current.member_records,
    held_current.first_built_at,
    {{ dbt.current_timestamp() }} as retired_at
from held_current
anti join current_keys
    on current_keys.member_fingerprint = held_current.member_fingerprint
    and current_keys.customer_key = held_current.customer_key
{% else %}
select
    member_fingerprint,
    customer_key,
    member_records,
    {{ dbt.current_timestamp() }} as first_built_at,
    cast(null as timestamp with time zone) as retired_at
from current_keys
{% endif %}
