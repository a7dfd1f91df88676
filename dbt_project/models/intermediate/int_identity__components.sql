{{ config(
    materialized='incremental',
    unique_key='record_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook=[
        "{{ keep_removed_log() }}",
        "{{ delete_logged(missing_from('record_id', ref('int_identity__records'))) }}",
        "{{ keep_components_inputs(ref('int_identity__junk_keys'), ref('int_identity__probabilistic_links')) }}",
        "{{ write_build_mark(unstamped_inputs_fingerprint([])) }}",
    ],
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
    identity records is deleted (post-hook), and logged in <model>__removed with the run's start
    (int_touchpoints finds there the touches whose customer is gone). A table from before
    neighbours were kept is labelled
    in full once. written_at stamps the run that labelled the row: dim_customer computes again
    the customers with a member labelled since its own last build.

    Which neighbours changed is found from what changed since the last build (its build mark),
    not by computing every record's neighbours again: a record's neighbours follow from its
    keys, the other holders of those keys, which keys are junk and its probabilistic links, so
    only these records can have other neighbours now:
      * the holders of a key added or taken away since (record_keys' written_at stamps and its
        log of removed keys), or that became or stopped being junk, and the records that lost a
        key;
      * both ends of a probabilistic link made or dropped;
      * a new record.
    The junk keys and links of the last build are held beside the table (<model>__inputs). The
    neighbours of those records and of every member of their components are computed (a key's
    holders, and a link's ends, are all in one component, before the run or after it), and the
    labelling then works within them. Without a mark or either side table, with other code since
    the mark, or when the keys were rebuilt since (none of them older than the mark), every
    record's neighbours are computed and compared. -#}
{% set relabel_changes_only = is_incremental() and relation_has_column(this, 'neighbours') %}
{% set mark = held_build_mark() if relabel_changes_only else none %}
{% set keys_relation = ref('int_identity__record_keys') %}
{% set removed_keys = side_relation(keys_relation, 'removed') if mark is not none else none %}
{% set held_inputs = side_relation(this, 'inputs') if mark is not none else none %}
{% set from_changes = mark is not none and relation_exists(held_inputs) and relation_exists(removed_keys)
    and relation_has_column(keys_relation, 'written_at')
    and mark.fingerprint == run_query('select ' ~ unstamped_inputs_fingerprint([])).columns[0].values()[0]
    and run_query("select coalesce(min(written_at) <= '" ~ mark.built_at ~ "'::timestamptz, false) from "
                  ~ keys_relation).columns[0].values()[0] %}
{% set since %}'{{ mark.built_at if from_changes else '' }}'::timestamptz{% endset %}

with recursive keys as (
    select record_id, key_type, key_value from {{ keys_relation }}
),

junk_keys as (
    select key_type, key_value from {{ ref('int_identity__junk_keys') }}
),

probable_links as (
    select record_id_l, record_id_r from {{ ref('int_identity__probabilistic_links') }}
    where is_link
),

{% if from_changes %}
held_inputs as (
    select * from {{ held_inputs }}
),

{#- keys whose holders may differ from the last build's: added to or taken from a record, or
    junk now and not then (or then and not now) -#}
changed_keys as (
    select key_type, key_value from {{ keys_relation }} where written_at > {{ since }}
    union
    select key_type, key_value from {{ removed_keys }} where removed_at > {{ since }}
    union
    (
        select key_type, key_value from junk_keys
        except
        select a, b from held_inputs where kind = 'junk_key'
    )
    union
    (
        select a, b from held_inputs where kind = 'junk_key'
        except
        select key_type, key_value from junk_keys
    )
),

changed_links as (
    (
        select record_id_l, record_id_r from probable_links
        except
        select a, b from held_inputs where kind = 'link'
    )
    union all
    (
        select a, b from held_inputs where kind = 'link'
        except
        select record_id_l, record_id_r from probable_links
    )
),

affected as (
    select keys.record_id from keys semi join changed_keys using (key_type, key_value)
    union
    select record_id from {{ removed_keys }} where removed_at > {{ since }}
    union
    select record_id_l from changed_links
    union
    select record_id_r from changed_links
    union
    select records.record_id
    from {{ ref('int_identity__records') }} as records
    anti join {{ this }} as held on held.record_id = records.record_id
    where records.written_at > {{ since }}
),

{#- the affected records and every member of their components: all the holders of their keys
    and the ends of their links are among them -#}
scope as materialized (
    {{ with_their_held_components('affected') }}
),

scoped_keys as (
    select keys.* from keys
    semi join (select distinct key_type, key_value from keys semi join scope using (record_id)) as held_by_scope
        using (key_type, key_value)
),

scoped_links as (
    select * from probable_links
    where record_id_l in (select record_id from scope) or record_id_r in (select record_id from scope)
),
{% else %}
scoped_keys as (
    select * from keys
),

scoped_links as (
    select * from probable_links
),
{% endif %}

usable_keys as (
    select scoped_keys.key_type, scoped_keys.key_value, min(scoped_keys.record_id) as anchor_id
    from scoped_keys
    anti join junk_keys as junk
        on junk.key_type = scoped_keys.key_type and junk.key_value = scoped_keys.key_value
    group by scoped_keys.key_type, scoped_keys.key_value
),

edges as (
    select scoped_keys.record_id, usable_keys.anchor_id as linked_record_id
    from scoped_keys
    inner join usable_keys
        on usable_keys.key_type = scoped_keys.key_type and usable_keys.key_value = scoped_keys.key_value
    where scoped_keys.record_id <> usable_keys.anchor_id
    union
    select usable_keys.anchor_id, scoped_keys.record_id
    from scoped_keys
    inner join usable_keys
        on usable_keys.key_type = scoped_keys.key_type and usable_keys.key_value = scoped_keys.key_value
    where scoped_keys.record_id <> usable_keys.anchor_id
    union
    select record_id_l, record_id_r from scoped_links
    union
    select record_id_r, record_id_l from scoped_links
),

neighbourhoods as (
    select
        records.record_id,
        coalesce({{ sorted_string_agg('edges.linked_record_id', "','") }}, '') as neighbours
    from {{ ref('int_identity__records') }} as records
    left join edges on edges.record_id = records.record_id
    {% if from_changes %}
    semi join scope on scope.record_id = records.record_id
    {% endif %}
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
    {{ with_their_held_components('changed') }}
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
