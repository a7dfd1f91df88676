{#- Every delivered version of every lead (CRM exports are incremental: a lead is exported again
    on each day it changes, in its end-of-day state), one per lead and export day. The export day
    is the delivery date less var('delivery_lag_days'). Lead status history comes from here. -#}
with versions as (
    select
        *,
        row_number() over (
            partition by lead_id, _delivery_date
            order by _source_file desc, _source_line desc
        ) as _day_rank
    from {{ source('raw_crm', 'leads') }}
)

select
    lead_id,
    cast({{ dbt.dateadd('day', -var('delivery_lag_days'), '_delivery_date') }} as date) as observed_on,
    status as lead_status,
    created_at,
    _source_system as crm_system,
    _source_file as source_file,
    _source_line as source_line
from versions
where _day_rank = 1
