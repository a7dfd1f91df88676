{{ config(
    materialized='incremental',
    unique_key='touchpoint_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    pre_hook="{{ touch_events_retire_unqualified() }}",
    post_hook=[
        "{{ keep_removed_log() }}",
        "{{ touch_events_delete_unstaged() }}",
        "{{ write_build_mark(\"'\" ~ touch_event_settings_fingerprint() ~ \"'\") }}",
    ],
) }}
{#- Every chat message sent one-to-one, mail and CRM task as a touch, with what can be told from
    the touch alone: its two parties (sender and counterparty), whether our side sent it where the
    channel says so (mail from our domains, CRM tasks; a WeCom sender is decided against the
    contact export in int_touchpoints), what was said, whether it reads as an automated reply, and
    which behaviour tags' keywords it contains (int_customer_behaviour_tags counts them).
    Who the customer is, recalls and the rep roster are applied in int_touchpoints, so that this,
    the costly part (content, pattern matching), never has to be redone for the history.

    Incremental, exact against a full rebuild: a run takes the staging rows whose (touch, loaded_at)
    it does not hold under the current settings fingerprint (company mail domains, auto-reply
    patterns, the behaviour keyword rules and this model's own code), replacing what it held for
    those touches; a changed setting or a new version of the model therefore reclassifies every
    touch. A post-hook deletes
    touches no longer in staging (a corrected or re-ingested delivery). Every touch deleted by a
    hook is logged (int_touch_events__removed, with the run's start as removed_at): the touches
    int_touchpoints must delete are among those logged since its last build. written_at stamps the run
    that classified the touch: int_touchpoints places again the touches classified since its own
    last build.

    When the last build (its build mark) was under the same settings and no staging input was
    built from every raw row since, the touches to classify are found without comparing: the
    staging rows of each channel loaded after the newest one held (staging takes raw rows in the
    order they were loaded, and replaces a record's version by a later one), and the pre-hook
    deletes the held chats whose later version is no longer a one-to-one message sent; nothing
    else can have left staging (touch_events_watermarks). -#}
-- depends_on: {{ ref('behaviour_tag_rules') }} (read at compile time by behaviour_keyword_rules)
{% set company_domains = var('company_email_domains').split(',') | map('trim') | list %}
{% set ours %}('{{ company_domains | join("', '") }}'){% endset %}
{% set settings_fingerprint = touch_event_settings_fingerprint() %}
{% set watermarks = touch_events_watermarks() %}
{% set since = {} %}
{% for channel, instant in (watermarks or {}).items() %}
    {% do since.update({channel: "'" ~ instant ~ "'::timestamptz"}) %}
{% endfor %}

{#- Per channel, so that each anti join hashes only its own channel's touches. -#}
with held as (
    {% if is_incremental() and not watermarks %}
    select channel, touchpoint_id, loaded_at from {{ this }} where settings_fingerprint = '{{ settings_fingerprint }}'
    {% else %}
    select null::varchar as channel, null::varchar as touchpoint_id, null::timestamptz as loaded_at where false
    {% endif %}
),

wecom as (
    select
        'wecom:' || messages.message_id as touchpoint_id,
        'wecom' as channel,
        messages.message_type as touch_type,
        messages.sent_at as occurred_at,
        null::boolean as is_sent_by_us,
        messages.sender_id,
        messages.recipient_ids[1] as counterparty_id,
        messages.text_content as content,
        messages.loaded_at
    from {{ ref('stg_wecom__messages') }} as messages
    {% if watermarks %}
    where messages.loaded_at > {{ since.wecom }}
      and {{ wecom_message_is_touch('messages') }}
    {% else %}
    anti join (select * from held where channel = 'wecom') as held
        on held.touchpoint_id = 'wecom:' || messages.message_id and held.loaded_at = messages.loaded_at
    where {{ wecom_message_is_touch('messages') }}
    {% endif %}
),

emails as (
    select
        messages.*,
        {{ dbt.split_part('messages.from_email', "'@'", 2) }} in {{ ours }} as is_outbound
    from {{ ref('stg_email__messages') }} as messages
    {% if watermarks %}
    where messages.loaded_at > {{ since.email }}
    {% else %}
    anti join (select * from held where channel = 'email') as held
        on held.touchpoint_id = 'email:' || messages.message_key and held.loaded_at = messages.loaded_at
    {% endif %}
),

recipient_sides as (
    select
        message_key,
        min(case when {{ dbt.split_part('address', "'@'", 2) }} not in {{ ours }} then address end) as external_address,
        min(case when {{ dbt.split_part('address', "'@'", 2) }} in {{ ours }} then address end) as our_address
    from (select message_key, unnest(to_emails) as address from emails)
    group by message_key
),

email as (
    select
        'email:' || emails.message_key as touchpoint_id,
        'email' as channel,
        'email' as touch_type,
        emails.sent_at as occurred_at,
        emails.is_outbound as is_sent_by_us,
        emails.from_email as sender_id,
        case when emails.is_outbound then recipient_sides.external_address else recipient_sides.our_address end
            as counterparty_id,
        concat_ws(' ', emails.subject, emails.body_text, emails.attachments) as content,
        emails.loaded_at
    from emails
    left join recipient_sides on recipient_sides.message_key = emails.message_key
),

crm as (
    select
        'crm:' || tasks.task_id as touchpoint_id,
        'crm' as channel,
        coalesce(tasks.task_type, 'task') as touch_type,
        tasks.created_at as occurred_at,
        true as is_sent_by_us,
        tasks.owner_id as sender_id,
        tasks.who_id as counterparty_id,
        tasks.subject as content,
        tasks.loaded_at
    from {{ ref('stg_crm__tasks') }} as tasks
    {% if watermarks %}
    where tasks.loaded_at > {{ since.crm }}
    {% else %}
    anti join (select * from held where channel = 'crm') as held
        on held.touchpoint_id = 'crm:' || tasks.task_id and held.loaded_at = tasks.loaded_at
    {% endif %}
),

touches as (
    select * from wecom
    union all
    select * from email
    union all
    select * from crm
)

select
    touchpoint_id,
    channel,
    touch_type,
    occurred_at,
    is_sent_by_us,
    sender_id,
    counterparty_id,
    content,
    {{ matches_any_pattern('content', ref('auto_reply_patterns')) }} as is_auto_reply,
    {#- what the customer may write: never what we are known to have sent -#}
    case when is_sent_by_us is not true then {{ behaviour_keyword_tags('content_lower') }} end as behaviour_tags,
    loaded_at,
    '{{ settings_fingerprint }}' as settings_fingerprint,
    {{ written_at() }} as written_at
from (select *, lower(content) as content_lower from touches) as touches
