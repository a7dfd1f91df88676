{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key='record_id', on_schema_change='sync_all_columns',
          changed_rows_scope_column='record_id',
          post_hook="{{ write_build_mark(identity_match_features_fingerprint()) }}") }}
{#- What the probabilistic matcher compares for each person-level record (CRM lead, WeCom
    contact, external mail address): the person's name, the company (full, normalised) or its
    first characters as a rep writes them in a WeCom remark (陈建华-同辉华通), the rep who serves
    them (through the sales_reps roster) and when the record first appeared. A night computes
    only the records written or removed since the last build (identity_match_features_scope). -#}
{% set hint_length = var('identity_company_hint_chars') %}
{% set scope = changed_rows_scope_query(identity_match_features_scope()) %}

with {{ scope_cte(scope) }}

records as (
    select * from {{ ref('int_identity__records') }}
    where entity in ('lead', 'contact', 'address')
      and {{ in_scope(scope, 'record_id', 'record_id') }}
),

rep_aliases as (
    select * from {{ ref('int_sales_rep_aliases') }}
),

{#- Reps note contacts as <name>-<company>; the WeCom nickname (小东, 🌟陈建华) is the fallback. -#}
remarks as (
    select
        record_id,
        nullif(split_part(remark, '-', 1), '') as remark_name,
        nullif(left(split_part(remark, '-', 2), {{ hint_length }}), '') as remark_company
    from records
    where remark like '%-%'
)

select
    records.record_id,
    coalesce(remarks.remark_name, records.customer_name) as person_name,
    records.company_norm,
    coalesce(left(records.company_norm, {{ hint_length }}), remarks.remark_company) as company_hint,
    rep_aliases.rep_id,
    records.observed_at as seen_at
from records
left join remarks on remarks.record_id = records.record_id
left join rep_aliases on rep_aliases.alias = records.source_rep_id
