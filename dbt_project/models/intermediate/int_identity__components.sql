{#- Customers are the connected components of the identity graph, found with a recursive query
    (no row-by-row loop). Its edges are shared keys and the probabilistic links marked is_link.
    A key shared by more than var('identity_max_records_per_key') records — a front-desk phone,
    a shared mailbox — is not used as an edge (int_identity__junk_keys lists them). The component is
    named by its smallest member record_id, so its customer_key stays the same across runs for
    as long as that member stays in it. -#}
with recursive keys as (
    select * from {{ ref('int_identity__record_keys') }}
),

usable_keys as (
    select distinct keys.key_type, keys.key_value
    from keys
    anti join {{ ref('int_identity__junk_keys') }} as junk
        on junk.key_type = keys.key_type and junk.key_value = keys.key_value
),

probable_links as (
    select record_id_l, record_id_r from {{ ref('int_identity__probabilistic_links') }}
    where is_link
),

edges as (
    select a.record_id, b.record_id as linked_record_id
    from keys as a
    inner join usable_keys as u
        on a.key_type = u.key_type and a.key_value = u.key_value
    inner join keys as b
        on a.key_type = b.key_type and a.key_value = b.key_value
    where a.record_id <> b.record_id
    union
    select record_id_l, record_id_r from probable_links
    union
    select record_id_r, record_id_l from probable_links
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
