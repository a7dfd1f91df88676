{#- What the probabilistic matcher compares for each person-level record (CRM lead, WeCom
    contact, external mail address): the person's name, the company (full, normalised) or its
    first characters as a rep writes them in a WeCom remark (陈建华-同辉华通), the rep who serves
    them (through the sales_reps roster) and when the record first appeared. -#}
{% set company_domains = var('company_email_domains').split(',') | map('trim') | list %}
{% set hint_length = var('identity_company_hint_chars') %}

with reps as (
    select * from {{ ref('int_sales_rep_aliases') }}
),

leads as (
    select * from {{ ref('stg_crm__leads') }}
),

contacts as (
    select
        external_userid,
        arg_min(display_name, added_at) as display_name,
        arg_min(remark, added_at) as remark,
        max(company_norm) as company_norm,
        arg_min(rep_userid, added_at) as rep_userid,
        min(added_at) as added_at
    from {{ ref('stg_wecom__external_contacts') }}
    group by external_userid
),

messages as (
    select *, {{ dbt.split_part('from_email', "'@'", 2) }} in ('{{ company_domains | join("', '") }}') as is_outbound
    from {{ ref('stg_email__messages') }}
),

{#- Each external address with the name it signs with and the first of our reps it wrote to or
    heard from. -#}
mail_sides as (
    select from_email as address, from_name, sent_at, to_emails[1] as our_address
    from messages
    where not is_outbound
    union all
    select unnest(to_emails), null, sent_at, from_email
    from messages
    where is_outbound
),

addresses as (
    select
        address,
        max(nullif(from_name, '')) as from_name,
        arg_min(our_address, sent_at) as our_address,
        min(sent_at) as first_seen_at
    from mail_sides
    where address is not null
      and {{ dbt.split_part('address', "'@'", 2) }} not in ('{{ company_domains | join("', '") }}')
    group by address
),

features as (
    select
        'crm:lead:' || leads.lead_id as record_id,
        nullif(leads.contact_name, '') as person_name,
        leads.company_norm,
        left(leads.company_norm, {{ hint_length }}) as company_hint,
        reps.rep_id,
        leads.created_at as seen_at
    from leads
    left join reps on reps.alias = leads.owner_id
    union all
    select
        'wecom:contact:' || contacts.external_userid,
        {#- Reps note contacts as <name>-<company>; the WeCom nickname (小东, 🌟陈建华) is a fallback. -#}
        case when contacts.remark like '%-%' then nullif(split_part(contacts.remark, '-', 1), '')
             else contacts.display_name end,
        contacts.company_norm,
        coalesce(left(contacts.company_norm, {{ hint_length }}),
                 nullif(left(split_part(contacts.remark, '-', 2), {{ hint_length }}), '')),
        reps.rep_id,
        contacts.added_at
    from contacts
    left join reps on reps.alias = contacts.rep_userid
    union all
    select
        'email:address:' || addresses.address,
        addresses.from_name,
        null,
        null,
        reps.rep_id,
        addresses.first_seen_at
    from addresses
    left join reps on reps.alias = lower(addresses.our_address)
)

select * from features
