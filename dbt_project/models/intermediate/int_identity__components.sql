{#- Customers are the connected components of the record–key graph, found with a recursive
    query (no row-by-row loop). A key shared by more than var('identity_max_records_per_key')
    records — a front-desk phone, a shared mailbox — is not used as an edge. The component is
    named by its smallest member record_id, so its customer_key stays the same across runs for
    as long as that member stays in it. -#}
with recursive keys as (
    select * from {{ ref('int_identity__record_keys') }}
),

usable_keys as (
    select key_type, key_value
    from keys
    group by key_type, key_value
    having count(distinct record_id) <= {{ var('identity_max_records_per_key') }}
),

edges as (
    select distinct a.record_id, b.record_id as linked_record_id
    from keys as a
    inner join usable_keys as u
        on a.key_type = u.key_type and a.key_value = u.key_value
    inner join keys as b
        on a.key_type = b.key_type and a.key_value = b.key_value
    where a.record_id <> b.record_id
),

reach (record_id, reachable_id) as (
    select record_id, record_id from {{ ref('int_identity__records') }}
    union
    select reach.record_id, edges.linked_record_id
    from reach
    inner join edges on edges.record_id = reach.reachable_id
),

components as (
    select record_id, min(reachable_id) as component_id
    from reach
    group by record_id
)

select
    record_id,
    component_id,
    {{ dbt.hash('component_id') }} as customer_key
from components
