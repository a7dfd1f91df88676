{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key='record_id', on_schema_change='append_new_columns',
          changed_rows_scope={'macro': 'customer_bridge_scope', 'column': 'record_id'},
          post_hook="{{ write_build_mark(unstamped_inputs_fingerprint([])) }}") }}
{#- Each identity record and its customer. A night computes only the records written, labelled
    or removed since the last build (customer_bridge_scope). -#}
{% set scope = customer_bridge_scope() %}
{% if scope is not none -%}
with scope as materialized (
    {{ scope }}
)
{% endif -%}
select
    records.record_id,
    records.source,
    records.entity,
    records.natural_id,
    components.customer_key
from {{ ref('int_identity__records') }} as records
inner join {{ ref('int_identity__components') }} as components
    on components.record_id = records.record_id
where {{ in_scope(scope, 'record_id', 'records.record_id') }}
