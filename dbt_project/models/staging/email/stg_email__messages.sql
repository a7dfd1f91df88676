{{ config(
    materialized='incremental',
    unique_key='message_key',
    incremental_strategy='delete+insert',
    pre_hook="{{ rebuild_if_raw_history_rewritten(source('raw_email', 'messages')) }}",
) }}
{#- Incremental (see macros/incremental.sql): each run stages only the newly loaded raw rows; the
    nightly cost follows the new day, not the history. -#}
{#- The same message exported from two mailboxes is one message: keyed by Message-ID, or by the
    content hash when the header is missing. -#}
with keyed as (
    select
        *,
        coalesce(nullif(message_id, ''), 'sha256:' || _row_hash) as message_key
    from {{ raw_rows_since_last_build(source('raw_email', 'messages')) }} as raw
),

versions as (
    {{ latest_version('keyed', ['message_key']) }}
)

select
    message_key,
    nullif(message_id, '') as message_id,
    sent_at,
    from_email,
    from_name,
    to_emails,
    subject,
    nullif(in_reply_to, '') as in_reply_to,
    body_text,
    attachments,
    body_mobiles,
    _source_file as source_file,
    _source_line as source_line,
    _delivery_date as delivery_date,
    _loaded_at as loaded_at
from versions
