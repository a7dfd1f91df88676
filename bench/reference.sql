-- The reference floor: headline KPIs computed by hand, in one DuckDB script, straight from the
-- landed files (Salesforce CRM CSVs, WeCom chat JSONL, finance exports transcoded to UTF-8 CSV).
-- No quarantine, no identity resolution, no contracts, no tests: the fastest thing a user could
-- write to get the same headline numbers, and the yardstick bench/nightly.py divides by.
-- Placeholders: {landing} = the landing zone, {finance} = folder of the transcoded finance CSVs.
-- Re-delivered files repeat records: every entity keeps the latest delivery of each id.

create or replace temp macro sf_ts(s) as try_strptime(s, '%Y-%m-%dT%H:%M:%S.%g%z');
create or replace temp macro local_month(ts) as date_trunc('month', timezone('Asia/Shanghai', ts))::date;

create temp table stage_order as
select * from (values
    ('Prospecting', 1), ('Qualification', 1), ('Needs Analysis', 1),
    ('Value Proposition', 2), ('Id. Decision Makers', 2), ('Perception Analysis', 2),
    ('Proposal/Price Quote', 2), ('Negotiation/Review', 3), ('Closed Won', 4)
) as t(stage_name, stage_rank);  -- 1 intent, 2 proposal, 3 negotiation, 4 won

create temp table leads as
select Id as lead_id, LeadSource as channel, sf_ts(CreatedDate) as created_at
from read_csv('{landing}/crm/*/Lead_*.csv', all_varchar = true, ignore_errors = true, filename = true)
where sf_ts(CreatedDate) is not null
qualify row_number() over (partition by Id order by filename desc) = 1;

create temp table opportunities as
select Id as opportunity_id, StageName as stage_name, try_cast(Amount as decimal(18, 2)) as amount,
       IsClosed = 'true' as is_closed, IsWon = 'true' as is_won,
       sf_ts(CreatedDate) as created_at, sf_ts(LastModifiedDate) as modified_at
from read_csv('{landing}/crm/*/Opportunity_*.csv', all_varchar = true, ignore_errors = true, filename = true)
qualify row_number() over (partition by Id order by filename desc) = 1;

create temp table stage_moves as
select distinct OpportunityId as opportunity_id, StageName as stage_name
from read_csv('{landing}/crm/*/OpportunityHistory_*.csv', all_varchar = true, ignore_errors = true);

create temp table tasks as
select WhoId as lead_id, min(sf_ts(CreatedDate)) as first_task_at
from read_csv('{landing}/crm/*/Task_*.csv', all_varchar = true, ignore_errors = true)
where WhoId <> ''
group by WhoId;

create temp table chats as
select distinct on (msgid) msgid, "from" as sender, tolist[1] as recipient, to_timestamp(msgtime / 1000) as sent_at,
       "from" like 'wm%' or "from" like 'wo%' as inbound
from read_json('{landing}/wecom/*/chat_messages_*.jsonl', format = 'newline_delimited', ignore_errors = true,
               columns = {msgid: 'VARCHAR', action: 'VARCHAR', "from": 'VARCHAR', tolist: 'VARCHAR[]',
                          roomid: 'VARCHAR', msgtime: 'BIGINT'})
where action = 'send' and coalesce(roomid, '') = '' and msgtime is not null;

create temp table receipts as
select distinct on ("交易流水号") try_cast("收入金额" as decimal(18, 2)) as amount,
       try_strptime("交易时间", '%Y-%m-%d %H:%M:%S') as received_at
from read_csv('{finance}/bank_receipts_*.csv', all_varchar = true, ignore_errors = true)
where try_cast("收入金额" as decimal(18, 2)) > 0;

-- K01 new leads per month and channel.
create temp table k01_new_leads as
select local_month(created_at) as month, channel, count(*) as leads
from leads group by all order by all;

-- K06 first response: minutes from lead creation to its first CRM task (median, p90).
create temp table k06_first_response as
select local_month(leads.created_at) as month, count(*) as leads_touched,
       median(epoch(tasks.first_task_at - leads.created_at) / 60) as median_minutes,
       quantile_cont(epoch(tasks.first_task_at - leads.created_at) / 60, 0.9) as p90_minutes
from leads join tasks using (lead_id)
where tasks.first_task_at >= leads.created_at
group by all order by all;

-- K09 stage conversion per creation month: reached stage k+1 ÷ reached stage k (a skipped stage counts).
create temp table k09_stage_conversion as
with reached as (
    select opportunities.opportunity_id, local_month(opportunities.created_at) as cohort,
           max(stage_order.stage_rank) as top_rank
    from opportunities
    join (select * from stage_moves union select opportunity_id, stage_name from opportunities) as seen
        using (opportunity_id)
    join stage_order on stage_order.stage_name = seen.stage_name
    group by all
)
select cohort, step.k as from_rank,
       count(*) filter (where top_rank >= step.k) as entered,
       count(*) filter (where top_rank >= step.k + 1) as advanced,
       count(*) filter (where top_rank >= step.k + 1) / nullif(count(*) filter (where top_rank >= step.k), 0)
           as conversion_rate
from reached cross join (select unnest([1, 2, 3]) as k) as step
group by all order by all;

-- K11 win rate per close month, by count and by amount.
create temp table k11_win_rate as
select local_month(modified_at) as month,
       count(*) filter (where is_won) as won, count(*) as closed,
       count(*) filter (where is_won) / count(*) as win_rate,
       sum(amount) filter (where is_won) / nullif(sum(amount), 0) as win_rate_by_amount
from opportunities where is_closed
group by all order by all;

-- K16 (WeCom part) interaction rate: our messages answered by the customer within 72 hours.
create temp table k16_interaction as
with outbound as (select recipient as customer, sent_at from chats where not inbound),
     inbound as (select sender as customer, sent_at from chats where inbound),
     answered as (
        select outbound.sent_at, inbound.sent_at - outbound.sent_at <= interval 72 hours as replied
        from outbound asof left join inbound
            on inbound.customer = outbound.customer and inbound.sent_at > outbound.sent_at
     )
select local_month(sent_at) as month, count(*) as outbound_messages,
       count(*) filter (where replied) as answered_messages,
       count(*) filter (where replied) / count(*) as interaction_rate
from answered group by all order by all;

-- K23 money received per month (bank receipts).
create temp table k23_revenue as
select date_trunc('month', received_at)::date as month, count(*) as receipts, sum(amount) as revenue
from receipts group by all order by all;
