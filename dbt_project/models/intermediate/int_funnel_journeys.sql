{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key='journey_id', on_schema_change='sync_all_columns',
          stamp_column='written_at', removed_log=true, removed_log_columns=['customer_key'],
          changed_rows_scope_column='journey_id',
          post_hook=["{{ keep_removed_log() }}", "{{ write_build_mark(funnel_journeys_fingerprint()) }}"]) }}
{#- Journey attributes for the funnel KPIs: cohort month (local time), mapped channel, the
    furthest canonical stage reached (a skipped stage counts as reached), and the current stage.
    written_at stamps the run that last wrote
    the row and int_funnel_journeys__removed logs every journey removed or written again, with the
    customer it was held under: fct_stage_transitions, the lead models and dim_customer find there
    the journeys (and customers) changed since their own last build.

    Incremental, exact against a full rebuild: a night computes only the journeys whose link or
    stage events were written or removed since the last build, or whose lead's or opportunity's
    customer may have changed (funnel_journeys_scope). -#}
{% set scope = changed_rows_scope_query(funnel_journeys_scope()) %}
with {{ scope_cte(scope) }}

journeys as (
    select * from {{ ref('int_funnel__journey_links') }}
    where {{ in_scope(scope, 'journey_id', 'journey_id') }}
),

events as (
    select * from {{ ref('int_stage_events') }}
    where {{ in_scope(scope, 'journey_id', 'journey_id') }}
),

channel_map as (
    select * from {{ ref('channel_map') }}
),

furthest as (
    select journey_id, max(stage_order) as max_stage_order
    from events
    group by journey_id
),

latest as (
    select journey_id, canonical_stage as current_stage
    from (
        select
            journey_id,
            canonical_stage,
            row_number() over (partition by journey_id order by event_sequence desc) as recency
        from events
    ) as ranked
    where recency = 1
),

components as (
    select * from {{ ref('int_identity__components') }}
)

select
    journeys.journey_id,
    journeys.journey_type,
    journeys.lead_id,
    journeys.opportunity_id,
    coalesce(lead_customer.customer_key, opportunity_customer.customer_key) as customer_key,
    journeys.created_at,
    {{ local_month('journeys.created_at') }} as cohort_month,
    coalesce(channel_map.channel, journeys.source_channel, 'unknown') as channel,
    coalesce(channel_map.channel_group, 'unknown') as channel_group,
    journeys.owner_id,
    coalesce(furthest.max_stage_order, 1) as max_stage_order,
    coalesce(latest.current_stage, 'lead') as current_stage,
    {{ written_at() }} as written_at
from journeys
left join furthest on furthest.journey_id = journeys.journey_id
left join latest on latest.journey_id = journeys.journey_id
left join channel_map
    on channel_map.source_system = journeys.crm_system
    and channel_map.source_value = journeys.source_channel
left join components as lead_customer on lead_customer.record_id = 'crm:lead:' || journeys.lead_id
left join components as opportunity_customer
    on opportunity_customer.record_id = 'crm:opportunity:' || journeys.opportunity_id
