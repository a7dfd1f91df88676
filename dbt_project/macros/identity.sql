{#- The record ids of the CTE `records` and of every member of the components they belonged to in
    the last build (this model's table): relabelling a record can split or move its whole
    previous customer, so its fellow members are looked at with it. -#}
{% macro with_their_held_components(records) -%}
    select record_id from {{ records }}
    union
    select held.record_id
    from {{ this }} as held
    semi join (
        select component_id from {{ this }} as previous semi join {{ records }} using (record_id)
    ) as components using (component_id)
{%- endmacro %}
