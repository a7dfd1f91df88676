{#- Behaviour tags per customer from the rules in the behaviour_tag_rules seed: what customers
    write (inbound_text), how long they take to decide (decision_days) and how much they write
    (inbound_touches). One row per customer and tag that applies, with the evidence count. -#}
with rules as (
    select * from {{ ref('behaviour_tag_rules') }}
),

touches as (
    select * from {{ ref('int_touchpoints') }}
    where customer_key is not null
),

inbound as (
    select * from touches where direction = 'in'
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

decisions as (
    select
        journeys.customer_key,
        date_diff('day', least(min(journeys.created_at), coalesce(min(touches.occurred_at), min(journeys.created_at))),
                  coalesce(max(won.first_won_at), max(as_of.as_of_at))) as decision_days
    from journeys
    cross join as_of
    left join won on won.customer_key = journeys.customer_key
    left join touches on touches.customer_key = journeys.customer_key
    group by journeys.customer_key
    -- a customer who said no (every journey lost) has decided
    having max(won.first_won_at) is not null or bool_or(journeys.current_stage <> 'lost')
),

evidence as (
    select inbound.customer_key, rules.tag, count(*) as evidence_count
    from inbound
    inner join rules
        on rules.rule_kind = 'inbound_text' and regexp_matches(lower(inbound.content), lower(rules.pattern))
    group by inbound.customer_key, rules.tag, rules.min_evidence
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
