{#- Behaviour tags per customer from the rules in the behaviour_tag_rules seed: what customers
    write (inbound_text: any of the rule's |-separated keywords, case-insensitive), how long they
    take to decide (decision_days) and how much they write (inbound_touches). One row per
    customer and tag that applies, with the evidence count.

    Which keywords a message contains is found once per message, when int_touch_events
    classifies it (behaviour_tags), and counted per customer by int_customer_inbound_tags; the
    customer's first touch and inbound messages come from int_customer_touches. Both are kept
    for the customers whose touches changed, not summed over six million touches every night:
    what is left here is one row per customer. -#}
with rules as (
    select * from {{ ref('behaviour_tag_rules') }}
),

customer_touches as (
    select * from {{ ref('int_customer_touches') }}
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
    select max(last_touch_at) as as_of_at from customer_touches
),

first_touch as (
    select customer_key, first_touch_at from customer_touches
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
    select inbound_tags.customer_key, rules.tag, inbound_tags.inbound_messages as evidence_count
    from {{ ref('int_customer_inbound_tags') }} as inbound_tags
    inner join rules
        on rules.rule_kind = 'inbound_text' and rules.tag = inbound_tags.tag
        and inbound_tags.inbound_messages >= rules.min_evidence
    union all
    select decisions.customer_key, rules.tag, decisions.decision_days
    from decisions
    inner join rules on rules.rule_kind = 'decision_days' and decisions.decision_days >= rules.min_evidence
    union all
    select customer_touches.customer_key, rules.tag, customer_touches.inbound_touchpoints
    from customer_touches
    inner join rules
        on rules.rule_kind = 'inbound_touches' and customer_touches.inbound_touchpoints >= rules.min_evidence
    where customer_touches.inbound_touchpoints > 0
)

select customer_key, tag, evidence_count from evidence
