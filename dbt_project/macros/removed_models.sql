{#- on-run-end: drop the tables and views that a model of this project built but no model builds
    any more (a model removed or renamed by an upgrade). dbt never drops them itself, so an
    upgraded warehouse would keep them whole, out of date, for anyone to query by mistake.

    Only relations that look like the project's models are touched: in a schema the project's
    models build into, named with a model prefix (stg_, int_, dim_, fct_, bridge_, mart_), and
    neither a node of the project nor a table one keeps beside its own (side_relation: its build mark,
    removed keys, inputs). Anything else (a table an analyst
    made, a raw or ingest table) is left alone. It runs after `dbt run` and `dbt build` only,
    whatever their selection: the graph, not the selection, says what the project builds. -#}
{% macro drop_relations_of_removed_models() -%}
    {%- if not execute or flags.WHICH not in ('build', 'run') -%}
        {{- return('select 1') -}}
    {%- endif -%}
    {%- set built = [] -%}
    {%- set schemas = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type in ('model', 'seed', 'snapshot') -%}
        {%- do built.append((node.schema ~ '.' ~ (node.alias or node.name)) | lower) -%}
        {%- if node.resource_type == 'model' and node.schema | lower not in schemas -%}
            {%- do schemas.append(node.schema | lower) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set found = run_query(
        "select table_schema, table_name, table_type from information_schema.tables"
        ~ " where table_catalog = current_database()"
        ~ " and lower(table_schema) in ('" ~ schemas | join("', '") ~ "')"
        ~ " and regexp_matches(table_name, '^(stg|int|dim|fct|bridge|mart)_')") -%}
    {%- for row in found.rows -%}
        {%- set name = (row[0] ~ '.' ~ row[1]) | lower -%}
        {%- set sides = [] -%}
        {%- for suffix in side_relation_suffixes() if name.endswith('__' ~ suffix) -%}
            {%- do sides.append(name[:-(suffix | length + 2)]) -%}
        {%- endfor -%}
        {%- if (sides[0] if sides else name) not in built -%}
            {%- set kind = 'view' if row[2] == 'VIEW' else 'table' -%}
            {%- do log(row[0] ~ '.' ~ row[1] ~ ': no model builds it any more; dropped', info=True) -%}
            {%- do run_query('drop ' ~ kind ~ ' if exists ' ~ adapter.quote(row[0]) ~ '.' ~ adapter.quote(row[1])) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return('select 1') -}}
{%- endmacro %}
