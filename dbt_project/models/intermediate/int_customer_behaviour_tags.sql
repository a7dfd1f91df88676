{#- Behaviour tags per customer from the rules in the behaviour_tag_rules seed: what customers
    write (inbound_text: any of the rule's |-separated keywords, case-insensitive), how long they
    take to decide (decision_days) and how much they write (inbound_touches). One row per
    customer and tag that applies, with the evidence count.

    Which keywords a message contains is found once per message, when int_touch_events
    classifies it (behaviour_tags), not every night for the whole history: here the inbound
    messages' tags are only counted. -#}
with rules as (
    select * from {{ ref('behaviour_tag_rules') }}
),

touches as (
    select * from {{ ref('int_touchpoints') }}
    where customer_key is not null
),

inbound as (
    select customer_key, touchpoint_id from touches where direction = 'in'
),

inbound_tags as (
    select inbound.customer_key, tagged.tag
    from inbound
    inner join (
        select touchpoint_id, unnest(behaviour_tags) as tag
        from {{ ref('int_touch_events') }}
        where behaviour_tags is not null
    ) as tagged on tagged.touchpoint_id = inbound.touchpoint_id
),

journeys as (
    select * from {{ ref('int_funnel_journeys') }}
    where customer_key is not null
),

won as (
    select journeys.customer_key, min(events.entered_at) as first_won_at
    from {{ ref('int_stage_events') }} as events
    inner join journeys on journeys.journey_id = events.journey_id
    where events.canonical_stage = 'won'
    group by journeys.customer_key
),

{#- "Today" is the latest activity in the data, so a history replayed later tags the same way. -#}
as_of as (
    select max(occurred_at) as as_of_at from touches
),

{#- One row per customer before the join to journeys: joining every touch to every journey of
    the customer only to take the earliest multiplies the rows by the journeys. -#}
first_touch as (
    select customer_key, min(occurred_at) as first_touch_at
    from touches
    group by customer_key
),

decisions as (
    select
        journeys.customer_key,
        date_diff('day', least(min(journeys.created_at), coalesce(min(first_touch.first_touch_at), min(journeys.created_at))),
                  coalesce(max(won.first_won_at), max(as_of.as_of_at))) as decision_days
    from journeys
    cross join as_of
    left join won on won.customer_key = journeys.customer_key
    left join first_touch on first_touch.customer_key = journeys.customer_key
    group by journeys.customer_key
    -- a customer who said no (every journey lost) has decided
    having max(won.first_won_at) is not null or bool_or(journeys.current_stage <> 'lost')
),

evidence as (
    select inbound_tags.customer_key, rules.tag, count(*) as evidence_count
    from inbound_tags
    inner join rules on rules.rule_kind = 'inbound_text' and rules.tag = inbound_tags.tag
    group by inbound_tags.customer_key, rules.tag, rules.min_evidence
    having count(*) >= rules.min_evidence
    union all
    select decisions.customer_key, rules.tag, decisions.decision_days
    from decisions
    inner join rules on rules.rule_kind = 'decision_days' and decisions.decision_days >= rules.min_evidence
    union all
    select inbound.customer_key, rules.tag, count(*)
    from inbound
    inner join rules on rules.rule_kind = 'inbound_touches'
    group by inbound.customer_key, rules.tag, rules.min_evidence
    having count(*) >= rules.min_evidence
)

select customer_key, tag, evidence_count from evidence
