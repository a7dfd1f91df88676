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
