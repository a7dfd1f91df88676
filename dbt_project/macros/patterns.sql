{#- Whether text matches any of the regular expressions (case-insensitive) in a column of a
    seed, as one constant pattern read from the seed when the model runs. Why not a join to the
    seed: a pattern taken from a joined row is compiled again for every row (15 s for the six
    million touches of the 1M-customer benchmark), a constant one once per query (3 s).
    The seed must be built before the model (ref() it in the call, so dbt orders it); a seed
    without rows matches nothing. -#}
{% macro matches_any_pattern(text, relation, column='pattern') -%}
    {%- set pattern = pattern_alternation(relation, column) -%}
    {%- if pattern is none -%}
        {{ return('false') }}
    {%- endif -%}
    {{ return(adapter.dispatch('matches_any_pattern')(text, pattern)) }}
{%- endmacro %}

{#- The seed column's patterns as one alternation, (?:a)|(?:b) in a stable order; none for a
    seed without rows (and while parsing). An incremental model that stores match results keeps
    it in its settings fingerprint, so a changed seed reclassifies what it holds. -#}
{% macro pattern_alternation(relation, column='pattern') -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select string_agg('(?:' || {{ column }} || ')', '|' order by {{ column }})
        from {{ relation }}
        where {{ column }} is not null
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{%- endmacro %}

{% macro default__matches_any_pattern(text, pattern) -%}
    coalesce({{ text }}, '') ~* '{{ pattern | replace("'", "''") }}'
{%- endmacro %}

{% macro duckdb__matches_any_pattern(text, pattern) -%}
    regexp_matches(coalesce({{ text }}, ''), '{{ pattern | replace("'", "''") }}', 'i')
{%- endmacro %}
