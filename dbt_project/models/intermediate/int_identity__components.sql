{#- Customers are the connected components of the identity graph. Its edges are shared keys and
    the probabilistic links marked is_link. A key shared by more than
    var('identity_max_records_per_key') records — a front-desk phone, a shared mailbox — is not
    used as an edge (int_identity__junk_keys lists them). The component is named by its smallest
    member record_id, so its customer_key stays the same across runs for as long as that member
    stays in it.

    Found by label propagation: every record starts labelled with itself, and each round a record
    whose neighbour carries a smaller label takes it, until no label changes (as many rounds as
    the widest component is long). The recursive CTE keeps one row per record (USING KEY), so its
    memory follows the records, not the pairs of records that can reach each other: a shared key
    joins each holder to the key's smallest holder (a star), not every holder to every other. -#}
with recursive keys as (
    select * from {{ ref('int_identity__record_keys') }}
),

usable_keys as (
    select keys.key_type, keys.key_value, min(keys.record_id) as anchor_id
    from keys
    anti join {{ ref('int_identity__junk_keys') }} as junk
        on junk.key_type = keys.key_type and junk.key_value = keys.key_value
    group by keys.key_type, keys.key_value
),

probable_links as (
    select record_id_l, record_id_r from {{ ref('int_identity__probabilistic_links') }}
    where is_link
),

edges as (
    select keys.record_id, usable_keys.anchor_id as linked_record_id
    from keys
    inner join usable_keys
        on usable_keys.key_type = keys.key_type and usable_keys.key_value = keys.key_value
    where keys.record_id <> usable_keys.anchor_id
    union
    select usable_keys.anchor_id, keys.record_id
    from keys
    inner join usable_keys
        on usable_keys.key_type = keys.key_type and usable_keys.key_value = keys.key_value
    where keys.record_id <> usable_keys.anchor_id
    union
    select record_id_l, record_id_r from probable_links
    union
    select record_id_r, record_id_l from probable_links
),

labels (record_id, component_id) using key (record_id) as (
    select record_id, record_id from {{ ref('int_identity__records') }}
    union
    -- `labels` holds the records relabelled in the previous round, `recurring.labels` every label
    select edges.linked_record_id, min(labels.component_id)
    from labels
    inner join edges on edges.record_id = labels.record_id
    inner join recurring.labels as current on current.record_id = edges.linked_record_id
    group by edges.linked_record_id
    having min(labels.component_id) < min(current.component_id)
)

select
    record_id,
    component_id,
    {{ dbt.hash('component_id') }} as customer_key
from labels
