{#- The single customer view: one row per connected component of the identity graph. Each
    golden attribute is taken from the source ranked first by the survivorship_rules seed
    (most recent value on ties) and carries its winning source. -#}
{% set attributes = ['customer_name', 'company_name', 'credit_code', 'mobile', 'email',
                     'wecom_external_userid', 'wecom_unionid'] %}
{% set sources = ['crm', 'wecom', 'email', 'finance'] %}

with records as (
    select * from {{ ref('int_identity__records') }}
),

components as (
    select * from {{ ref('int_identity__components') }}
),

rules as (
    select * from {{ ref('survivorship_rules') }}
),

members as (
    select components.customer_key, records.*
    from records
    inner join components on components.record_id = records.record_id
),

candidates as (
    {% for attribute in attributes %}
    select customer_key, record_id, source, observed_at,
           '{{ attribute }}' as attribute, cast({{ attribute }} as varchar) as attribute_value
    from members
    where {{ attribute }} is not null
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

ranked as (
    select
        candidates.*,
        row_number() over (
            partition by candidates.customer_key, candidates.attribute
            order by rules.priority, candidates.observed_at desc, candidates.record_id
        ) as survivorship_rank
    from candidates
    inner join rules
        on rules.attribute = candidates.attribute and rules.source = candidates.source
),

golden as (
    select
        customer_key,
        {% for attribute in attributes %}
        max(case when attribute = '{{ attribute }}' then attribute_value end) as {{ attribute }},
        max(case when attribute = '{{ attribute }}' then source end) as {{ attribute }}_source{% if not loop.last %},{% endif %}
        {% endfor %}
    from ranked
    where survivorship_rank = 1
    group by customer_key
),

summary as (
    select
        customer_key,
        min(component_id) as anchor_record_id,
        count(*) as member_records,
        {% for source in sources %}
        sum(case when source = '{{ source }}' then 1 else 0 end) as {{ source }}_records,
        {% endfor %}
        min(observed_at) as first_seen_at,
        max(observed_at) as last_seen_at
    from members
    inner join components using (record_id, customer_key)
    group by customer_key
)

select
    summary.customer_key,
    {% for attribute in attributes %}
    golden.{{ attribute }},
    golden.{{ attribute }}_source,
    {% endfor %}
    summary.anchor_record_id,
    summary.member_records,
    {% for source in sources %}
    summary.{{ source }}_records,
    {% endfor %}
    summary.first_seen_at,
    summary.last_seen_at
from summary
left join golden on golden.customer_key = summary.customer_key
