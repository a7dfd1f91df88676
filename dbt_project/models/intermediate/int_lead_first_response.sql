{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key='lead_id', on_schema_change='sync_all_columns',
          stamp_column='written_at', removed_log=true,
          changed_rows_scope_column='lead_id',
          post_hook=["{{ keep_removed_log() }}", "{{ write_build_mark(lead_first_response_fingerprint()) }}"]) }}
{#- For every lead: its grade, owner, channel, SLA and the first genuine outbound touch to its
    customer in any channel (chat, mail, CRM call/visit task) at or after the lead was created —
    the CRM exports carry no assignment time, so creation stands for assignment (kpis.md K06).
    Auto-replies (int_touchpoints.is_genuine_outbound false) are not a response. The same pass over the lead's
    touches also finds its latest touch in either direction (K08, K27).

    Incremental, exact against a full rebuild: a night computes only the leads whose row can
    differ since the last build (lead_first_response_scope: leads staged since, their journey,
    record or customer's touches changed), and writes those that do. written_at and
    int_lead_first_response__removed tell the lead models downstream which leads changed. -#}
{% set scope = changed_rows_scope_query(lead_first_response_scope()) %}
with {{ scope_cte(scope) }}

leads as (
    select * from {{ ref('stg_crm__leads') }}
    where {{ in_scope(scope, 'lead_id', 'lead_id') }}
),

grades as (
    select * from {{ ref('lead_grade_rules') }}
),

sla as (
    select * from {{ ref('response_sla') }}
),

journeys as (
    select lead_id, channel, channel_group from {{ ref('int_funnel_journeys') }}
    where journey_type = 'lead'
),

components as (
    select * from {{ ref('int_identity__components') }}
),

touches as (
    select customer_key, channel, occurred_at, is_genuine_outbound as is_genuine_response
    from {{ ref('int_touchpoints') }}
    where customer_key is not null
),

graded as (
    select
        leads.lead_id,
        leads.created_at,
        leads.owner_id,
        components.customer_key,
        coalesce(grades.grade, '{{ var("lead_default_grade") }}') as grade
    from leads
    left join grades on grades.source_system = leads.crm_system and grades.rating = leads.rating
    left join components on components.record_id = 'crm:lead:' || leads.lead_id
),

lead_touches as (
    select
        graded.lead_id,
        min(touches.occurred_at) filter (where touches.is_genuine_response) as first_response_at,
        -- two first responses at the same instant: the channel first by name, every run alike
        arg_min(touches.channel, {'at': touches.occurred_at, 'channel': touches.channel})
            filter (where touches.is_genuine_response) as first_response_channel,
        max(touches.occurred_at) as last_touch_at
    from graded
    inner join touches
        on touches.customer_key = graded.customer_key
        and touches.occurred_at >= graded.created_at
    group by graded.lead_id
)

select
    graded.lead_id,
    graded.customer_key,
    graded.created_at,
    graded.grade,
    coalesce(rep_aliases.rep_id, graded.owner_id) as owner_rep_id,
    coalesce(journeys.channel, 'unknown') as channel,
    sla.sla_minutes,
    lead_touches.first_response_at,
    lead_touches.first_response_channel,
    date_diff('second', graded.created_at, lead_touches.first_response_at) / 60.0 as response_minutes,
    coalesce(date_diff('second', graded.created_at, lead_touches.first_response_at) <= sla.sla_minutes * 60, false)
        as responded_within_sla,
    lead_touches.last_touch_at,
    {{ written_at() }} as written_at
from graded
left join lead_touches on lead_touches.lead_id = graded.lead_id
left join journeys on journeys.lead_id = graded.lead_id
left join sla on sla.grade = graded.grade
left join {{ ref('int_sales_rep_aliases') }} as rep_aliases on rep_aliases.alias = graded.owner_id
