{#- Acquisition channels as the marts name them, with their channel group (广告 / 自然流量 / 活动 /
    转介绍 / 企业微信 / 老客户), from channel_map. -#}
select
    channel,
    min(channel_group) as channel_group,
    count(distinct source_system) as source_systems
from {{ ref('channel_map') }}
group by channel
