{#- Keep the latest delivered version of each record: a re-delivered or corrected extract
    supersedes the earlier one. Returns a select over `relation` with the helper column _version_rank. -#}
{% macro latest_version(relation, key_columns) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by _delivery_date desc, _source_file desc, _source_line desc
            ) as _version_rank
        from {{ relation }}
    ) as versions
    where _version_rank = 1
{%- endmacro %}
