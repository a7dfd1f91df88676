{#- A rate whose denominator is 0 (or NULL) is NULL, never 0 and never an error (kpis.md).
    Double precision, not dbt.type_float(): that is a 4-byte FLOAT on DuckDB. -#}
{% macro safe_divide(numerator, denominator) -%}
    case when {{ denominator }} is null or {{ denominator }} = 0 then null
         else cast({{ numerator }} as double precision) / {{ denominator }} end
{%- endmacro %}

{#- Counts as BIGINT on every adapter (DuckDB sums integers into HUGEINT). -#}
{% macro count_where(condition) -%}
    cast(sum(case when {{ condition }} then 1 else 0 end) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- Continuous percentile (p in [0, 1]) as an aggregate. -#}
{% macro percentile_cont(column, p) -%}
    {{ return(adapter.dispatch('percentile_cont')(column, p)) }}
{%- endmacro %}

{% macro default__percentile_cont(column, p) -%}
    percentile_cont({{ p }}) within group (order by {{ column }})
{%- endmacro %}

{% macro duckdb__percentile_cont(column, p) -%}
    quantile_cont({{ column }}, {{ p }})
{%- endmacro %}

{#- The first capture group of a regular expression, NULL when it does not match. -#}
{% macro regexp_capture(expression, pattern) -%}
    {{ return(adapter.dispatch('regexp_capture')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regexp_capture(expression, pattern) -%}
    substring({{ expression }} from '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__regexp_capture(expression, pattern) -%}
    nullif(regexp_extract({{ expression }}, '{{ pattern }}', 1), '')
{%- endmacro %}

{#- The mean and the sum of a floating-point expression, the same to the last bit in every build
    of the same rows. A parallel avg or sum of DOUBLE adds its partial sums in whatever order
    the threads finish, so two builds of the same data published means that differed in their
    last bits (three quarters of mart_response's rows at a million customers). Summed as
    DECIMAL(38, 12) the total is exact in any order; each value is rounded to 12 decimals first,
    and the mean after the division (0.6 / 3 is 0.19999999999999998 in doubles), far below what
    days, minutes or yuan are read to. Both return DOUBLE. -#}
{% macro exact_mean(expression) -%}
    round(cast(avg(cast({{ expression }} as decimal(38, 12))) as double precision), 12)
{%- endmacro %}

{% macro exact_sum(expression) -%}
    cast(sum(cast({{ expression }} as decimal(38, 12))) as double precision)
{%- endmacro %}
