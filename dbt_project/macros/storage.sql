{#- on-run-start: the DuckDB compression methods the build's tables are written without,
    FUNNEL_DBT_DISABLED_COMPRESSION (none by default). DICT_FSST string compression is most of
    the CPU of writing a table; without it the dbt build at 1M customers took 7% less time, for a
    warehouse 2.5 times the size and a higher peak of resident memory (README, "Performance").
    Set GLOBAL, once, so that every cursor dbt opens (two threads, the Python models) writes so:
    DuckDB ignores the option when it is given as a connection option. -#}
{% macro leave_out_compression_methods() -%}
    set global disabled_compression_methods = '{{ env_var("FUNNEL_DBT_DISABLED_COMPRESSION", "") | replace("'", "''") }}'
{%- endmacro %}
