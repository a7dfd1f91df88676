{#- Engagement by local ISO week (Asia/Shanghai) and rep. K15 follow-up frequency 跟进频次:
    genuine outbound touches (chat, mail, CRM call/visit) to the customers of the rep's open
    leads while they were open ÷ the rep's leads open in the week. K16 interaction rate
    内容互动率: the rep's outbound chats and mails answered by the customer in the same channel
    within var('interaction_reply_hours') ÷ those sent, counting only messages whose reply window
    has passed by the data's as-of instant. -#}
with spells as (
    select * from {{ ref('int_lead_spells') }}
),

touches as (
    select * from {{ ref('int_touchpoints') }}
    where customer_key is not null
),

as_of as (
    select as_of_at from {{ ref('int_as_of') }}
),

{#- The reported weeks: from the week of the first lead to the week of the as-of instant. -#}
week_bounds as (
    {{ local_periods('week',
        "(select " ~ local_date('min(opened_at)') ~ " from spells)",
        "(select " ~ local_date('as_of_at') ~ " from as_of)", column_name='week_start') }}
),

{#- A lead is open in a week when one of its spells overlaps it; a lead re-opened within a week
    counts once. -#}
open_leads as (
    select
        week_bounds.week_start,
        spells.owner_rep_id as rep_id,
        count(distinct spells.lead_id) as open_leads
    from week_bounds
    inner join spells
        on spells.opened_at < week_bounds.week_end_at
        and (spells.closed_at is null or spells.closed_at > week_bounds.week_start_at)
    group by week_bounds.week_start, spells.owner_rep_id
),

{#- A touch counts for the owner of every lead of its customer open at that instant, in the
    touch's own local week. Matching touches to the open spells and then bucketing by week is the
    same as matching them to every (week, open lead) pair, but compares each touch with a
    customer's few spells instead of with every week of them. -#}
touched as (
    select
        {{ local_week('touches.occurred_at') }} as week_start,
        spells.owner_rep_id as rep_id,
        count(distinct touches.touchpoint_id) as follow_up_touches
    from touches
    inner join spells
        on spells.customer_key = touches.customer_key
        and touches.occurred_at >= spells.opened_at
        and (spells.closed_at is null or touches.occurred_at < spells.closed_at)
    where touches.is_genuine_outbound
    group by 1, 2
),

{#- A touch in a week after the as-of week, where no lead is reported open, falls out here. -#}
follow_ups as (
    select
        open_leads.week_start,
        open_leads.rep_id,
        open_leads.open_leads,
        coalesce(touched.follow_up_touches, 0) as follow_up_touches
    from open_leads
    left join touched
        on touched.week_start = open_leads.week_start
        and touched.rep_id is not distinct from open_leads.rep_id
),

messages as (
    select outbound.*
    from touches as outbound
    cross join as_of
    where outbound.is_genuine_outbound
      and outbound.channel in ('wecom', 'email')
      and {{ dbt.dateadd('hour', var('interaction_reply_hours'), 'outbound.occurred_at') }} <= as_of.as_of_at
),

answered as (
    select
        messages.touchpoint_id,
        {{ local_week('messages.occurred_at') }} as week_start,
        messages.rep_id,
        exists (
            select 1 from touches as replies
            where replies.customer_key = messages.customer_key
              and replies.channel = messages.channel
              and replies.direction = 'in'
              and replies.occurred_at > messages.occurred_at
              and replies.occurred_at <= {{ dbt.dateadd('hour', var('interaction_reply_hours'), 'messages.occurred_at') }}
        ) as got_reply
    from messages
),

interactions as (
    select
        week_start,
        coalesce(rep_id, 'unassigned') as rep_id,
        count(*) as outbound_messages,
        {{ count_where('got_reply') }} as replied_messages
    from answered
    group by week_start, coalesce(rep_id, 'unassigned')
),

keys as (
    select week_start, rep_id from follow_ups
    union
    select week_start, rep_id from interactions
)

select
    keys.week_start,
    keys.rep_id,
    coalesce(follow_ups.open_leads, 0) as open_leads,
    coalesce(follow_ups.follow_up_touches, 0) as follow_up_touches,
    {{ safe_divide('follow_ups.follow_up_touches', 'follow_ups.open_leads') }} as follow_up_frequency,
    coalesce(interactions.outbound_messages, 0) as outbound_messages,
    coalesce(interactions.replied_messages, 0) as replied_messages,
    {{ safe_divide('interactions.replied_messages', 'interactions.outbound_messages') }} as interaction_rate
from keys
left join follow_ups on follow_ups.week_start = keys.week_start and follow_ups.rep_id = keys.rep_id
left join interactions on interactions.week_start = keys.week_start and interactions.rep_id = keys.rep_id
