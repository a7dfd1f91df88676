with versions as (
    {{ latest_version(source('raw_crm', 'tasks'), ['task_id']) }}
)

select
    task_id,
    who_id,
    what_id,
    subject,
    activity_date,
    lower(task_type) as task_type,
    status as task_status,
    created_at,
    owner_id,
    _source_system as crm_system,
    _source_file as source_file,
    _source_line as source_line
from versions
