with versions as (
    {{ latest_version(source('raw_wecom', 'messages'), ['msgid']) }}
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
    _source_line as source_line
from versions
