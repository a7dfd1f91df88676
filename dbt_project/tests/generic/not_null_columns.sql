{#- Fails for every column of `columns` holding a NULL: one row per such column, with how many
    rows hold one. The not_null of every required column of a model in one query, instead of a
    test per column: in the nightly build each data test costs dbt about as much as its query
    (its own node to compile, run, log and report), and a model's required columns are read
    together anyway. Reads the rows written since the test last passed where the model is
    stamped (tested_rows.sql). -#}
{% test not_null_columns(model, columns) %}
with null_rows as (
    select
        {% for column in columns -%}
        count(*) filter (where {{ adapter.quote(column) }} is null) as {{ adapter.quote('nulls_' ~ loop.index) }}{{ ',' if not loop.last }}
        {% endfor %}
    from {{ tested_rows(model) }}
)

{% for column in columns -%}
select '{{ column }}' as column_name, {{ adapter.quote('nulls_' ~ loop.index) }} as null_rows
from null_rows where {{ adapter.quote('nulls_' ~ loop.index) }} > 0
{% if not loop.last %}union all
{% endif %}
{%- endfor %}
{% endtest %}
