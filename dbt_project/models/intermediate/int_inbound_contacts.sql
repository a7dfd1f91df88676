{{ config(materialized='incremental', incremental_strategy='changed_rows', unique_key='customer_key', on_schema_change='sync_all_columns',
          stamp_column='written_at',
          changed_rows_scope_column='customer_key',
          post_hook=["{{ delete_rows_missing_from('customer_key', ref('int_identity__components')) }}",
                     "{{ write_build_mark(inbound_contacts_fingerprint()) }}"]) }}
{#- K02: each customer's first inbound contact — a CRM lead (web form, call), a WeCom add, or the
    first mail received from an address — with its time and channel, and whether the customer
    left a usable contact through any of them: a valid mobile or e-mail on a lead, a WeCom add,
    or their own mail address.

    Incremental, exact against a full rebuild: a night computes only the customers whose first
    contact can differ since the last build (inbound_contacts_scope), and a post-hook deletes
    the customers no longer among the identity components (all their records went to others). -#}
{% set scope = changed_rows_scope_query(inbound_contacts_scope()) %}
with {{ scope_cte(scope) }}

touchpoints as (
    select * from {{ ref('int_touchpoints') }}
),

components as (
    select * from {{ ref('int_identity__components') }}
),

channel_map as (
    select * from {{ ref('channel_map') }}
),

contacts as (
    {#- each contact as its first rep added it -#}
    select external_userid, added_at, contact_way_state
    from (
        select
            external_userid,
            added_at,
            contact_way_state,
            row_number() over (partition by external_userid order by added_at, rep_userid) as add_rank
        from {{ ref('stg_wecom__external_contacts') }}
    ) as adds
    where add_rank = 1
),

inbound as (
    select
        customer_key,
        created_at as contacted_at,
        'crm_lead' as contact_source,
        lead_id as contact_id,
        channel,
        has_valid_mobile or has_email as is_usable
    from {{ ref('int_lead_scores') }}
    where customer_key is not null and {{ in_scope(scope, 'customer_key', 'customer_key') }}
    union all
    select
        components.customer_key,
        contacts.added_at,
        'wecom_add',
        contacts.external_userid,
        coalesce(channel_map.channel, 'unknown'),
        true
    from contacts
    inner join components on components.record_id = 'wecom:contact:' || contacts.external_userid
        and {{ in_scope(scope, 'customer_key', 'components.customer_key') }}
    left join channel_map
        on channel_map.source_system = 'wecom' and channel_map.source_value = contacts.contact_way_state
    union all
    select
        touchpoints.customer_key,
        min(touchpoints.occurred_at),
        'inbound_email',
        min(touchpoints.customer_record_id),
        coalesce(min(channel_map.channel), 'unknown'),
        true
    from touchpoints
    left join channel_map on channel_map.source_system = 'email' and channel_map.source_value = 'inbound'
    where touchpoints.channel = 'email' and touchpoints.direction = 'in' and touchpoints.customer_key is not null
      and {{ in_scope(scope, 'customer_key', 'touchpoints.customer_key') }}
    group by touchpoints.customer_key, touchpoints.customer_record_id
),

ranked as (
    select
        *,
        row_number() over (partition by customer_key order by contacted_at, contact_source, contact_id) as contact_rank,
        bool_or(is_usable) over (partition by customer_key) as left_usable_contact
    from inbound
)

select
    customer_key,
    contacted_at as first_contacted_at,
    contact_source as first_contact_source,
    contact_id as first_contact_id,
    channel,
    left_usable_contact,
    {{ written_at() }} as written_at
from ranked
where contact_rank = 1
