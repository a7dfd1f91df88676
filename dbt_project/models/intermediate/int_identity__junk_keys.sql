{#- Keys shared by more records than var('identity_max_records_per_key'): a front-desk phone,
    info@…, a test number typed into every form. They link nothing; this lists them for review
    (a warn-level test surfaces them in every run). A record holds each key once
    (int_identity__record_keys is distinct), so counting rows counts records: count(distinct)
    over six million keys cost three times as much. -#}
with keys as (
    select * from {{ ref('int_identity__record_keys') }}
)

select
    key_type,
    key_value,
    count(*) as records,
    min(record_id) as example_record_id
from keys
group by key_type, key_value
having count(*) > {{ var('identity_max_records_per_key') }}
