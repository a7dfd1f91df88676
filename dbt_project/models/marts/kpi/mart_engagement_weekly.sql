{#- Engagement by local ISO week (Asia/Shanghai) and rep. K15 follow-up frequency 跟进频次:
    genuine outbound touches (chat, mail, CRM call/visit) to the customers of the rep's open
    leads while they were open ÷ the rep's leads open in the week. K16 interaction rate
    内容互动率: the rep's outbound chats and mails answered by the customer in the same channel
    within var('interaction_reply_hours') ÷ those sent, counting only messages whose reply window
    has passed by the data's as-of instant. A lead without an owner and a message without a
    sender count for 'unassigned'.

    The touches are matched with the spells and the replies per customer, in models computed for
    the customers a night changed (int_customer_weekly_follow_ups, int_outbound_message_replies);
    here they are only summed per week and rep. -#}
with spells as (
    select * from {{ ref('int_lead_spells') }}
),

as_of as (
    select as_of_at from {{ ref('int_as_of') }}
),

{#- The reported weeks: from the week of the first lead to the week of the as-of instant. -#}
weeks as (
    {{ local_periods('week',
        "(select " ~ local_date('min(opened_at)') ~ " from spells)",
        "(select " ~ local_date('as_of_at') ~ " from as_of)", column_name='week_start') }}
),

{#- A lead is open in a week when one of its spells overlaps it; a lead re-opened within a week
    counts once. A spell overlaps the weeks from the one it opened in to the one holding the last
    instant before it closed (the as-of week while it is open). A lead's overlapping spells under
    one rep are merged into one range of weeks, and the ranges are counted by a running sum of
    their starts and ends: the same counts as joining every week to every spell, without comparing
    each of a million spells with each of a hundred weeks. -#}
spell_weeks as (
    select
        spells.lead_id,
        coalesce(spells.owner_rep_id, 'unassigned') as rep_id,
        {{ local_week('spells.opened_at') }} as first_week,
        coalesce({{ local_week(dbt.dateadd('microsecond', -1, 'spells.closed_at')) }}, as_of_week.week_start)
            as last_week
    from spells
    cross join (select max(week_start) as week_start from weeks) as as_of_week
),

spells_in_order as (
    select
        *,
        max(last_week) over (
            partition by lead_id, rep_id order by first_week, last_week
            rows between unbounded preceding and 1 preceding
        ) as earlier_last_week
    from spell_weeks
    where first_week <= last_week
),

open_ranges as (
    select rep_id, min(first_week) as first_week, max(last_week) as last_week
    from (
        select
            *,
            count(*) filter (where earlier_last_week is null or first_week > earlier_last_week) over (
                partition by lead_id, rep_id order by first_week, last_week rows unbounded preceding
            ) as range_number
        from spells_in_order
    ) as numbered
    group by lead_id, rep_id, range_number
),

open_changes as (
    select rep_id, first_week as week_start, count(*) as change from open_ranges group by 1, 2
    union all
    select rep_id, cast({{ dbt.dateadd('day', 7, 'last_week') }} as date), -count(*) from open_ranges group by 1, 2
),

open_leads as (
    select
        weeks.week_start,
        open_changes.rep_id,
        cast(sum(open_changes.change) as bigint) as open_leads
    from weeks
    inner join open_changes on open_changes.week_start <= weeks.week_start
    group by weeks.week_start, open_changes.rep_id
    having sum(open_changes.change) > 0
),

{#- A touch counts for the owner of every lead of its customer open at that instant, in the
    touch's own local week (int_customer_weekly_follow_ups). -#}
touched as (
    select week_start, rep_id, sum(follow_up_touches) as follow_up_touches
    from {{ ref('int_customer_weekly_follow_ups') }}
    group by week_start, rep_id
),

{#- A touch in a week after the as-of week, where no lead is reported open, falls out here. -#}
follow_ups as materialized (
    select
        open_leads.week_start,
        open_leads.rep_id,
        open_leads.open_leads,
        cast(coalesce(touched.follow_up_touches, 0) as bigint) as follow_up_touches
    from open_leads
    left join touched
        on touched.week_start = open_leads.week_start
        and touched.rep_id = open_leads.rep_id
),

{#- the messages whose reply window has closed by the as-of instant -#}
interactions as materialized (
    select
        messages.week_start,
        messages.rep_id,
        count(*) as outbound_messages,
        {{ count_where('messages.got_reply') }} as replied_messages
    from {{ ref('int_outbound_message_replies') }} as messages
    cross join as_of
    where messages.reply_window_ends_at <= as_of.as_of_at
    group by messages.week_start, messages.rep_id
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
