select
    records.record_id,
    records.source,
    records.entity,
    records.natural_id,
    components.customer_key
from {{ ref('int_identity__records') }} as records
inner join {{ ref('int_identity__components') }} as components
    on components.record_id = records.record_id
