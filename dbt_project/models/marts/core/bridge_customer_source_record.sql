{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key='record_id', on_schema_change='append_new_columns') }}
select
    records.record_id,
    records.source,
    records.entity,
    records.natural_id,
    components.customer_key
from {{ ref('int_identity__records') }} as records
inner join {{ ref('int_identity__components') }} as components
    on components.record_id = records.record_id
