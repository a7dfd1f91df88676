{#- A table, not a view: picking the latest version of each record is a window over every
    delivered version, and several models read this one; as a view each of them paid for it. -#}
{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key=['external_userid', 'rep_userid'], on_schema_change='sync_all_columns') }}

with versions as (
    {{ latest_version(source('raw_wecom', 'external_contacts'), ['external_userid', 'rep_userid']) }}
)

select
    external_userid,
    rep_userid,
    name as display_name,
    remark,
    contact_type,
    unionid,
    coalesce(corp_full_name, remark_corp_name, corp_name) as company_name,
    corp_name_norm as company_norm,
    remark_mobiles_e164 as mobiles,
    state as contact_way_state,
    add_way,
    added_at,
    _source_file as source_file,
    _source_line as source_line
from versions
