{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key='record_id', on_schema_change='append_new_columns',
          changed_rows_scope_column='record_id',
          post_hook="{{ write_build_mark(unstamped_inputs_fingerprint([])) }}") }}
{#- Each identity record and its customer. A night computes only the records written, labelled
    or removed since the last build (customer_bridge_scope). -#}
{% set scope = changed_rows_scope_query(customer_bridge_scope()) %}
with {{ scope_cte(scope) }}

records as (
    select * from {{ ref('int_identity__records') }}
    where {{ in_scope(scope, 'record_id', 'record_id') }}
)

select
    records.record_id,
    records.source,
    records.entity,
    records.natural_id,
    components.customer_key
from records
inner join {{ ref('int_identity__components') }} as components
    on components.record_id = records.record_id
