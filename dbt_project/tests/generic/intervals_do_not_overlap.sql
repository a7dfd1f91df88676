{#- Fails for every row whose interval [start_column, end_column) begins before the previous
    interval of the same `partition_by` value has ended (an open end, NULL, never ends). Models
    that hold stretches of time (a lead's open spells) state it so that the marts built on them
    may count a point in time once per partition without a `distinct`. Reads the partitions
    holding a row written since the test last passed (tested_rows.sql). -#}
{% test intervals_do_not_overlap(model, partition_by, start_column, end_column) %}
with ordered as (
    select
        {{ partition_by }},
        {{ start_column }},
        {{ end_column }},
        lag({{ start_column }}) over (partition by {{ partition_by }} order by {{ start_column }}) as previous_start,
        lag({{ end_column }}) over (partition by {{ partition_by }} order by {{ start_column }}) as previous_end
    from {{ rows_sharing_tested_values(model, [partition_by]) }}
)

select *
from ordered
where previous_start is not null
    and (previous_end is null or previous_end > {{ start_column }})
{% endtest %}
