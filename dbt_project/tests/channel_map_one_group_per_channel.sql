{#- A channel belongs to one channel group, whichever system's label maps to it; otherwise the
    group rollups of the KPI marts would depend on the label. -#}
select channel, count(distinct channel_group) as groups
from {{ ref('channel_map') }}
group by channel
having count(distinct channel_group) > 1
