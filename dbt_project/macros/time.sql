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

{#- The UTC instant at which a local (reporting_timezone) calendar day begins: AT TIME ZONE on a
    naive timestamp reads it as wall-clock time in that zone (DuckDB and PostgreSQL alike). -#}
{% macro local_day_start(date_expression) -%}
    (cast({{ date_expression }} as timestamp) at time zone '{{ var("reporting_timezone") }}')
{%- endmacro %}

{#- First day of the local ISO week (Monday). -#}
{% macro local_week(column) -%}
    cast({{ dbt.date_trunc('week', to_local_time(column)) }} as date)
{%- endmacro %}

{#- A one-column relation (`day`, or column_name) with every calendar day from start to end
    inclusive. generate_series as a table function exists on DuckDB and PostgreSQL. -#}
{% macro day_spine(start_date, end_date, column_name='day') -%}
    select cast(spine_day as date) as {{ column_name }}
    from generate_series(
        cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval '1 day'
    ) as spine(spine_day)
{%- endmacro %}

{#- Every local (reporting_timezone) calendar period of the grain ('week': ISO, from Monday;
    'month') from the one holding start_date to the one holding end_date (SQL date
    expressions): its first day (column_name, default the grain) and the UTC instants it begins
    and ends (<grain>_start_at, <grain>_end_at), for joins with spells of open records. -#}
{% macro local_periods(grain, start_date, end_date, column_name=none) -%}
    {%- set column = column_name or grain -%}
    select
        {{ column }},
        {{ local_day_start(column) }} as {{ grain }}_start_at,
        {{ local_day_start(dbt.dateadd(grain, 1, column)) }} as {{ grain }}_end_at
    from (
        select distinct cast({{ dbt.date_trunc(grain, 'day') }} as date) as {{ column }}
        from ({{ day_spine(start_date, end_date) }}) as days
    ) as periods
{%- endmacro %}
