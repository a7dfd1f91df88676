{#- Interactions from every channel, with the source record of the customer side, so the core
    mart can attach the customer. Direction: `out` when our side (a rep) initiated it. The rep is
    the roster's rep_id (int_sales_rep_aliases), or the system's own id for someone not on the
    roster; customer_key is the customer of the customer-side record (int_identity__components).
    content is what was said (chat text, mail subject and body, task subject), kept here for
    behaviour tags and not published. is_genuine_outbound marks what our side sent that is not an
    automated reply (auto_reply_patterns): what response time, follow-up and interaction KPIs count. -#}
{% set company_domains = var('company_email_domains').split(',') | map('trim') | list %}
{% set ours %}('{{ company_domains | join("', '") }}'){% endset %}

with messages as (
    select * from {{ ref('stg_wecom__messages') }}
),

reps as (
    select distinct rep_userid from {{ ref('stg_wecom__external_contacts') }}
),

recalled as (
    select distinct revoked_message_id as message_id
    from messages
    where action = 'recall' and revoked_message_id is not null
),

wecom as (
    select
        'wecom:' || messages.message_id as touchpoint_id,
        'wecom' as channel,
        messages.message_type as touch_type,
        messages.sent_at as occurred_at,
        case when reps.rep_userid is not null then 'out' else 'in' end as direction,
        'wecom:contact:' || case when reps.rep_userid is not null
            then messages.recipient_ids[1] else messages.sender_id end as customer_record_id,
        case when reps.rep_userid is not null
            then messages.sender_id else messages.recipient_ids[1] end as source_rep_id,
        messages.text_content as content
    from messages
    left join reps on reps.rep_userid = messages.sender_id
    left join recalled on recalled.message_id = messages.message_id
    where messages.action = 'send'
      and messages.room_id is null
      and recalled.message_id is null
),

emails as (
    select
        *,
        {{ dbt.split_part('from_email', "'@'", 2) }} in {{ ours }} as is_outbound
    from {{ ref('stg_email__messages') }}
),

recipients as (
    select message_key, unnest(to_emails) as address
    from emails
),

recipient_sides as (
    select
        message_key,
        min(case when {{ dbt.split_part('address', "'@'", 2) }} not in {{ ours }} then address end) as external_address,
        min(case when {{ dbt.split_part('address', "'@'", 2) }} in {{ ours }} then address end) as our_address
    from recipients
    group by message_key
),

email as (
    select
        'email:' || emails.message_key as touchpoint_id,
        'email' as channel,
        'email' as touch_type,
        emails.sent_at as occurred_at,
        case when emails.is_outbound then 'out' else 'in' end as direction,
        'email:address:' || case when emails.is_outbound
            then recipient_sides.external_address else emails.from_email end as customer_record_id,
        case when emails.is_outbound then emails.from_email else recipient_sides.our_address end as source_rep_id,
        concat_ws(' ', emails.subject, emails.body_text, emails.attachments) as content
    from emails
    left join recipient_sides on recipient_sides.message_key = emails.message_key
),

crm as (
    select
        'crm:' || task_id as touchpoint_id,
        'crm' as channel,
        coalesce(task_type, 'task') as touch_type,
        created_at as occurred_at,
        'out' as direction,
        'crm:lead:' || who_id as customer_record_id,
        owner_id as source_rep_id,
        subject as content
    from {{ ref('stg_crm__tasks') }}
),

touchpoints as (
    select * from wecom
    union all
    select * from email
    union all
    select * from crm
),

rep_aliases as (
    select * from {{ ref('int_sales_rep_aliases') }}
)

select
    touchpoints.touchpoint_id,
    touchpoints.channel,
    touchpoints.touch_type,
    touchpoints.occurred_at,
    touchpoints.direction,
    touchpoints.customer_record_id,
    components.customer_key,
    coalesce(rep_aliases.rep_id, touchpoints.source_rep_id) as rep_id,
    touchpoints.content,
    touchpoints.direction = 'out'
        and not {{ matches_any_pattern('touchpoints.content', ref('auto_reply_patterns')) }} as is_genuine_outbound
from touchpoints
left join {{ ref('int_identity__components') }} as components
    on components.record_id = touchpoints.customer_record_id
left join rep_aliases on rep_aliases.alias = touchpoints.source_rep_id
