{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key='lead_id', on_schema_change='sync_all_columns',
          stamp_column='written_at', removed_log=true, removed_log_columns=['customer_key'],
          changed_rows_scope_column='lead_id',
          post_hook=["{{ keep_removed_log() }}", "{{ write_build_mark(lead_scores_fingerprint()) }}"]) }}
{#- K03/K04: every lead's grade (from its CRM rating, int_lead_first_response), channel group,
    what the form carried (a valid mobile — not a junk key shared by many records —, an e-mail,
    a company) and whether the customer wrote to us within var('lead_score_behaviour_days'),
    scored by lead_score_rules.

    Incremental, exact against a full rebuild: a night computes only the leads whose score can
    differ since the last build (lead_scores_scope). written_at and int_lead_scores__removed
    (with the customer a lead was held under) tell int_inbound_contacts which customers changed. -#}
{% set scope = changed_rows_scope_query(lead_scores_scope()) %}
with {{ scope_cte(scope) }}

leads as (
    select * from {{ ref('stg_crm__leads') }}
    where {{ in_scope(scope, 'lead_id', 'lead_id') }}
),

graded as (
    select lead_id, customer_key, grade, created_at from {{ ref('int_lead_first_response') }}
    where {{ in_scope(scope, 'lead_id', 'lead_id') }}
),

journeys as (
    select lead_id, channel, channel_group from {{ ref('int_funnel_journeys') }}
    where journey_type = 'lead'
),

junk_mobiles as (
    select key_value as mobile from {{ ref('int_identity__junk_keys') }}
    where key_type = 'mobile'
),

inbound as (
    select distinct graded.lead_id
    from graded
    inner join {{ ref('int_touchpoints') }} as touchpoints
        on touchpoints.customer_key = graded.customer_key
        and touchpoints.direction = 'in'
        and touchpoints.occurred_at >= graded.created_at
        and touchpoints.occurred_at < {{ dbt.dateadd('day', var('lead_score_behaviour_days'), 'graded.created_at') }}
),

facts as (
    select
        leads.lead_id,
        graded.customer_key,
        graded.created_at,
        graded.grade,
        coalesce(journeys.channel, 'unknown') as channel,
        coalesce(journeys.channel_group, 'unknown') as channel_group,
        leads.mobile is not null and junk_mobiles.mobile is null as has_valid_mobile,
        leads.email is not null as has_email,
        nullif(trim(leads.company_name), '') is not null as has_company,
        inbound.lead_id is not null as has_inbound_touch
    from leads
    inner join graded on graded.lead_id = leads.lead_id
    left join journeys on journeys.lead_id = leads.lead_id
    left join junk_mobiles on junk_mobiles.mobile = leads.mobile
    left join inbound on inbound.lead_id = leads.lead_id
),

rules as (
    select * from {{ ref('lead_score_rules') }}
),

scores as (
    select
        facts.lead_id,
        coalesce(sum(rules.points), 0) as quality_score
    from facts
    left join rules
        on (rules.factor = 'grade' and rules.value = facts.grade)
        or (rules.factor = 'channel_group' and rules.value = facts.channel_group)
        or (rules.factor = 'form' and rules.value = 'mobile' and facts.has_valid_mobile)
        or (rules.factor = 'form' and rules.value = 'email' and facts.has_email)
        or (rules.factor = 'form' and rules.value = 'company' and facts.has_company)
        or (rules.factor = 'behaviour' and rules.value = 'inbound_touch' and facts.has_inbound_touch)
    group by facts.lead_id
)

select
    facts.*,
    scores.quality_score,
    scores.quality_score >= {{ var('effective_lead_min_score') }} as is_effective,
    {{ written_at() }} as written_at
from facts
inner join scores on scores.lead_id = facts.lead_id
