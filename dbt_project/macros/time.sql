{#- Timestamps are stored as UTC instants; reporting boundaries are local (var reporting_timezone).
    AT TIME ZONE on a timestamptz gives local wall-clock time on DuckDB and PostgreSQL alike. -#}
{% macro to_local_time(column) -%}
    {{ return(adapter.dispatch('to_local_time')(column)) }}
{%- endmacro %}

{% macro default__to_local_time(column) -%}
    ({{ column }} at time zone '{{ var("reporting_timezone") }}')
{%- endmacro %}

{% macro local_month(column) -%}
    cast({{ dbt.date_trunc('month', to_local_time(column)) }} as date)
{%- endmacro %}

{% macro local_date(column) -%}
    cast({{ to_local_time(column) }} as date)
{%- endmacro %}
