{#- The sales team as BI tools slice it: one row per rep of the roster with team and region.
    Every KPI mart names reps by this rep_id (owner_rep_id or rep_id). -#}
select
    rep_id,
    rep_name,
    team,
    region,
    crm_user_id,
    wecom_userid,
    email_address
from {{ ref('sales_reps') }}
