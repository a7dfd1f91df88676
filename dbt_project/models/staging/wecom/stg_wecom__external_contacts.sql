{{ config(
    materialized='incremental',
    unique_key=['external_userid', 'rep_userid'],
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    pre_hook="{{ rebuild_if_raw_history_rewritten(source('raw_wecom', 'external_contacts')) }}",
) }}
{#- Incremental, as the event streams are (macros/incremental.sql): the latest versions. -#}
with versions as (
    {{ latest_version(raw_rows_since_last_build(source('raw_wecom', 'external_contacts')), ['external_userid', 'rep_userid']) }}
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
    _source_line as source_line,
    _delivery_date as delivery_date,
    _loaded_at as loaded_at
from versions
