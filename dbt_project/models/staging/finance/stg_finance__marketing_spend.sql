with versions as (
    {{ latest_version(source('raw_finance', 'marketing_spend'), ['spend_date', 'channel']) }}
)

select
    spend_date,
    channel as source_channel,
    spend,
    impressions,
    clicks,
    _source_file as source_file,
    _source_line as source_line
from versions
