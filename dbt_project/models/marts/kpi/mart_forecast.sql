{#- K24 stage-weighted forecast 加权预测 as of the data's latest activity: open opportunities by
    current stage and owner, their amount, P(won | stage) learnt from the trailing stage history
    and the weighted amount Σ amount × P. -#}
with open_deals as (
    select current_stage as stage, owner_rep_id, amount
    from {{ ref('int_journey_outcomes') }}
    where opportunity_id is not null
      and not is_won and not is_lost
),

probability as (
    select * from {{ ref('int_stage_win_probability') }}
),

as_of as (
    select {{ local_date('as_of_at') }} as as_of_date from {{ ref('int_as_of') }}
)

select
    as_of.as_of_date,
    probability.stage,
    open_deals.owner_rep_id,
    count(*) as open_opportunities,
    coalesce(sum(open_deals.amount), 0) as open_amount,
    probability.won_opportunities as history_won,
    probability.closed_opportunities as history_closed,
    probability.win_probability,
    coalesce(sum(open_deals.amount), 0) * probability.win_probability as weighted_amount
from open_deals
inner join probability on probability.stage = open_deals.stage
cross join as_of
group by as_of.as_of_date, probability.stage, open_deals.owner_rep_id,
         probability.won_opportunities, probability.closed_opportunities, probability.win_probability
