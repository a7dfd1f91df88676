{#- Every id a rep goes by in any system (CRM user id or owner name, WeCom userid, mail address)
    → the roster's rep_id, so touches, leads and contacts name the same rep the same way. Mail
    addresses are lower-cased here as ingest lower-cases every address it reads. -#}
with reps as (
    select * from {{ ref('sales_reps') }}
),

aliases as (
    select crm_user_id as alias, rep_id from reps
    union
    select rep_name, rep_id from reps
    union
    select wecom_userid, rep_id from reps
    union
    select lower(email_address), rep_id from reps
)

select alias, rep_id
from aliases
where alias is not null
