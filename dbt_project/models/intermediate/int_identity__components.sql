{{ config(
    materialized='incremental',
    unique_key='record_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook="delete from {{ this }} where record_id not in (select record_id from {{ ref('int_identity__records') }})",
) }}
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
    joins each holder to the key's smallest holder (a star), not every holder to every other.

    Incremental, exact against a full rebuild: each record keeps its neighbours as the last run
    saw them. A run labels again only the records whose neighbours changed (new records
    included) and every member of their previous components; every other component has the same
    members and the same edges, and no edge joins it to anything else (such an edge would have
    changed a neighbour list on its side), so it stays as it was. A record no longer among the
    identity records is deleted (post-hook). A table from before neighbours were kept is labelled
    in full once. written_at stamps the run that labelled the row: dim_customer computes again
    the customers with a member labelled since its own last build. -#}
{% set relabel_changes_only = is_incremental() and relation_has_column(this, 'neighbours') %}
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

neighbourhoods as (
    select
        records.record_id,
        coalesce({{ sorted_string_agg('edges.linked_record_id', "','") }}, '') as neighbours
    from {{ ref('int_identity__records') }} as records
    left join edges on edges.record_id = records.record_id
    group by records.record_id
),

{% if relabel_changes_only %}
changed as (
    select neighbourhoods.record_id
    from neighbourhoods
    left join {{ this }} as previous on previous.record_id = neighbourhoods.record_id
    where previous.neighbours is distinct from neighbourhoods.neighbours
),

relabelled as (
    select record_id from changed
    union
    select previous.record_id
    from {{ this }} as previous
    inner join {{ this }} as touched on touched.component_id = previous.component_id
    semi join changed on changed.record_id = touched.record_id
),

to_label as (
    select neighbourhoods.* from neighbourhoods semi join relabelled using (record_id)
),
{% else %}
to_label as (
    select * from neighbourhoods
),
{% endif %}

labels (record_id, component_id) using key (record_id) as (
    select record_id, record_id from to_label
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
    labels.record_id,
    labels.component_id,
    {{ dbt.hash('labels.component_id') }} as customer_key,
    to_label.neighbours,
    {{ written_at() }} as written_at
from labels
inner join to_label on to_label.record_id = labels.record_id
