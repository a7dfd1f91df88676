{#- Every (local ISO week, lead) in which the lead was open, with the part of the week it was
    open and its owner and customer: the base of follow-up frequency (K15). -#}
with spells as (
    select * from {{ ref('int_lead_spells') }}
),

as_of as (
    select as_of_at from {{ ref('int_as_of') }}
),

weeks as (
    select distinct
        {{ dbt.date_trunc('week', 'day') }} as week_start
    from ({{ day_spine(
        "(select " ~ local_date('min(opened_at)') ~ " from spells)",
        "(select " ~ local_date('as_of_at') ~ " from as_of)") }}) as days
),

week_bounds as (
    select
        cast(week_start as date) as week_start,
        {{ local_day_start('week_start') }} as week_start_at,
        {{ local_day_start(dbt.dateadd('day', 7, 'week_start')) }} as week_end_at
    from weeks
)

select
    week_bounds.week_start,
    spells.lead_id,
    spells.customer_key,
    spells.owner_rep_id,
    greatest(spells.opened_at, week_bounds.week_start_at) as open_from,
    least(coalesce(spells.closed_at, week_bounds.week_end_at), week_bounds.week_end_at) as open_until
from week_bounds
inner join spells
    on spells.opened_at < week_bounds.week_end_at
    and (spells.closed_at is null or spells.closed_at > week_bounds.week_start_at)
