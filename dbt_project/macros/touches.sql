{#- The touchpoint ids of WeCom messages recalled later, as one query: int_touchpoints leaves
    them out of what it places and its post-hook deletes those it held before the recall. -#}
{% macro recalled_touchpoint_ids() -%}
    select distinct 'wecom:' || revoked_message_id as touchpoint_id
    from {{ ref('stg_wecom__messages') }}
    where action = 'recall' and revoked_message_id is not null
{%- endmacro %}


{#- The context every touch is placed in (int_touchpoints), hashed as a SQL expression: the
    placing model's code, the reps of the WeCom contact export (who is `out` in a chat) and the
    roster's aliases. -#}
{% macro touch_context_fingerprint() -%}
    md5('{{ code_fingerprint() }}'
        || '|' || coalesce((select string_agg(distinct rep_userid, ',' order by rep_userid)
                            from {{ ref('stg_wecom__external_contacts') }}), '')
        || '|' || coalesce((select string_agg(alias || '=' || rep_id, ',' order by alias, rep_id)
                            from {{ ref('int_sales_rep_aliases') }}), ''))
{%- endmacro %}
