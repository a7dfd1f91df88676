{{ config(
    materialized='incremental',
    incremental_strategy='changed_rows',
    unique_key=['key_type', 'key_value'],
    on_schema_change='sync_all_columns',
    changed_rows_scope_column='key_value',
    post_hook=["{{ write_build_mark(junk_keys_fingerprint()) }}"],
) }}
{#- Keys shared by more records than var('identity_max_records_per_key'): a front-desk phone,
    info@…, a test number typed into every form. They link nothing; this lists them for review
    (a warn-level test surfaces them in every run). A record holds each key once
    (int_identity__record_keys is distinct), so counting rows counts records: count(distinct)
    over six million keys cost three times as much.

    Incremental, exact against a full rebuild (changed_rows): a key's count changes only when a
    record gains or loses it, so a night counts again only the key values that
    int_identity__record_keys wrote or removed since this model's last build (junk_keys_scope),
    a few thousand of six million, instead of grouping every key (1.3 s at a million
    customers). -#}
{% set scope = changed_rows_scope_query(junk_keys_scope()) %}

with {{ scope_cte(scope) }}

keys as (
    select * from {{ ref('int_identity__record_keys') }}
    where {{ in_scope(scope, 'key_value', 'key_value') }}
)

select
    key_type,
    key_value,
    count(*) as records,
    min(record_id) as example_record_id
from keys
group by key_type, key_value
having count(*) > {{ var('identity_max_records_per_key') }}
