{#- The changed_rows scope of int_lead_first_response: the leads whose row can differ from the one
    held since the model's last build (its build mark), or none when that cannot be told and
    every lead is computed. A lead's row follows from its staged row, its journey (channel), the
    customer of its record and that customer's touches, and from settings without stamps (grade
    rules, SLAs, the roster's aliases, the default grade: the mark's fingerprint). So the leads
    are those staged since, those whose journey was written or removed since, those whose record
    was labelled or removed since, and the leads of every customer whose touches changed since
    (customers_with_touches_changed_since).

    None: no mark, other settings since, the leads' staging rebuilt from every raw row since (a
    lead may have gone: rebuilt_since), or an input whose changes since are not all logged. -#}
{% macro lead_first_response_scope() -%}
    {%- set leads = ref('stg_crm__leads') -%}
    {%- set touchpoints, journeys, components = ref('int_touchpoints'), ref('int_funnel_journeys'), ref('int_identity__components') -%}
    {%- set mark = held_mark_with_fingerprint(lead_first_response_fingerprint()) -%}
    {%- if mark is none or rebuilt_since([leads], mark.built_at)
          or not changes_logged_since([touchpoints, journeys, components], mark.built_at) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set since = mark.since -%}
    {%- set scope -%}
        select lead_id from {{ leads }} where loaded_at > {{ since }}
        union
        select substr(journey_id, {{ 'lead:' | length + 1 }})
        from ({{ keys_written_or_removed_since([journeys], 'journey_id', since) }})
        where journey_id like 'lead:%'
        union
        select substr(record_id, {{ 'crm:lead:' | length + 1 }})
        from (
            {{ keys_written_or_removed_since([components], 'record_id', since) }}
            union
            select record_id from {{ components }}
            where customer_key in ({{ customers_with_touches_changed_since(since) }})
        )
        where record_id like 'crm:lead:%'
    {%- endset -%}
    {{- return(scope) -}}
{%- endmacro %}


{% macro lead_first_response_fingerprint() -%}
    md5({{ unstamped_inputs_fingerprint([ref('lead_grade_rules'), ref('response_sla'), ref('int_sales_rep_aliases')]) }}
        || '|{{ var("lead_default_grade") }}')
{%- endmacro %}


{#- The changed_rows scope of int_lead_spells: the leads staged since its last build (a new export
    version of a lead is a new delivery of it, which stages its latest version again: the
    versions are a view over the same raw rows) and the leads whose row of
    int_lead_first_response (customer, owner, channel) was written or removed since; none after
    other code, stage map or reporting time zone, or with the leads' staging rebuilt since. -#}
{% macro lead_spells_scope() -%}
    {%- set leads, responses = ref('stg_crm__leads'), ref('int_lead_first_response') -%}
    {%- set mark = held_mark_with_fingerprint(lead_spells_fingerprint()) -%}
    {%- if mark is none or rebuilt_since([leads], mark.built_at) or not changes_logged_since([responses], mark.built_at) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set scope -%}
        select lead_id from {{ leads }} where loaded_at > {{ mark.since }}
        union
        {{ keys_written_or_removed_since([responses], 'lead_id', mark.since) }}
    {%- endset -%}
    {{- return(scope) -}}
{%- endmacro %}


{% macro lead_spells_fingerprint() -%}
    md5({{ unstamped_inputs_fingerprint([ref('stage_map')]) }} || '|{{ var("reporting_timezone") }}')
{%- endmacro %}
