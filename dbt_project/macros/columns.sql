{#- The columns of `defaults` ({column: SQL default or none}) qualified by `alias`, each
    coalesced to its default where it has one (a row from the outer side of a join), comma-
    separated; named=true names each by its column. -#}
{% macro columns_or_defaults(alias, defaults, named=false) -%}
    {%- for column, default in defaults.items() -%}
    {% if default is none %}{{ alias }}.{{ column }}{% else %}coalesce({{ alias }}.{{ column }}, {{ default }}){% endif %}
    {%- if named %} as {{ column }}{% endif %}{% if not loop.last %}, {% endif %}
    {%- endfor -%}
{%- endmacro %}
