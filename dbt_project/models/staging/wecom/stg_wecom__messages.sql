{{ config(
    materialized='incremental',
    unique_key='message_id',
    incremental_strategy='delete+insert',
    pre_hook="{{ rebuild_if_raw_history_rewritten(source('raw_wecom', 'messages')) }}",
) }}
{#- Incremental (see macros/incremental.sql): each run stages only the newly loaded raw rows; the
    nightly cost follows the new day, not the history. -#}
with versions as (
    {{ latest_version(raw_rows_since_last_build(source('raw_wecom', 'messages')), ['msgid']) }}
)

select
    msgid as message_id,
    action,
    from_id as sender_id,
    tolist as recipient_ids,
    nullif(roomid, '') as room_id,
    sent_at,
    msgtype as message_type,
    text_content,
    revoked_msgid as revoked_message_id,
    text_mobiles,
    text_emails,
    _source_file as source_file,
    _source_line as source_line,
    _delivery_date as delivery_date,
    _loaded_at as loaded_at
from versions
