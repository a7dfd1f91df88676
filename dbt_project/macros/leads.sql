{#- The leads whose journey (int_funnel_journeys, ``journeys``) was written or removed after
    ``since``: a lead's journey is 'lead:' || lead_id. A query of lead_id. -#}
{% macro leads_of_journeys_changed_since(journeys, since) -%}
    select substr(journey_id, {{ 'lead:' | length + 1 }})
    from ({{ keys_written_or_removed_since([journeys], 'journey_id', since) }})
    where journey_id like 'lead:%'
{%- endmacro %}


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
    {%- set mark = held_mark_telling_changes(lead_first_response_fingerprint(), staged=[leads],
                                             logged=[touchpoints, journeys, components]) -%}
    {%- if mark is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set since = mark.since -%}
    {%- set scope -%}
        select lead_id from {{ leads }} where loaded_at > {{ since }}
        union
        {{ leads_of_journeys_changed_since(journeys, since) }}
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
    {%- set mark = held_mark_telling_changes(lead_spells_fingerprint(), staged=[leads], logged=[responses]) -%}
    {%- if mark is none -%}
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


{#- The changed_rows scope of int_lead_scores: the leads staged since its last build (the form),
    those whose row of int_lead_first_response (customer, grade, creation) or journey (channel)
    was written or removed since, the leads of the customers whose touches changed since (what
    the customer wrote early on), and those whose mobile may have become or stopped being a
    junk key (int_identity__junk_keys, a few keys recomputed every night: the leads whose mobile
    is one now, and the held leads without a valid mobile). None after other code, score rules
    or score settings, with the leads' staging rebuilt since, or an input whose changes since
    are not all logged. -#}
{% macro lead_scores_scope() -%}
    {%- set leads, responses = ref('stg_crm__leads'), ref('int_lead_first_response') -%}
    {%- set touchpoints, journeys = ref('int_touchpoints'), ref('int_funnel_journeys') -%}
    {%- set mark = held_mark_telling_changes(lead_scores_fingerprint(), staged=[leads],
                                             logged=[responses, touchpoints, journeys]) -%}
    {%- if mark is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set since = mark.since -%}
    {%- set scope -%}
        select lead_id from {{ leads }} where loaded_at > {{ since }}
        union
        {{ keys_written_or_removed_since([responses], 'lead_id', since) }}
        union
        {{ leads_of_journeys_changed_since(journeys, since) }}
        union
        select lead_id from {{ responses }}
        where customer_key in ({{ customers_with_touches_changed_since(since) }})
        union
        select lead_id from {{ leads }}
        where mobile in (select key_value from {{ ref('int_identity__junk_keys') }} where key_type = 'mobile')
        union
        select lead_id from {{ this }} where not has_valid_mobile
    {%- endset -%}
    {{- return(scope) -}}
{%- endmacro %}


{% macro lead_scores_fingerprint() -%}
    md5({{ unstamped_inputs_fingerprint([ref('lead_score_rules')]) }}
        || '|{{ var("lead_score_behaviour_days") }}|{{ var("effective_lead_min_score") }}')
{%- endmacro %}


{#- The changed_rows scope of int_inbound_contacts: the customers of the leads scored or removed
    since its last build (int_lead_scores logs the customer a lead was held under), those whose
    touches changed since (their first mail), those with a member labelled since (the identity
    components write every member of a customer whose members changed) and those of the WeCom
    contacts staged since. None after other code or channel map, with the contacts' staging
    rebuilt since, or an input whose changes since are not all logged. -#}
{% macro inbound_contacts_scope() -%}
    {%- set scores, touchpoints, components = ref('int_lead_scores'), ref('int_touchpoints'), ref('int_identity__components') -%}
    {%- set contacts = ref('stg_wecom__external_contacts') -%}
    {%- set mark = held_mark_telling_changes(inbound_contacts_fingerprint(), staged=[contacts],
                                             logged=[scores, touchpoints, components]) -%}
    {%- if mark is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set since = mark.since -%}
    {%- set scope -%}
        select customer_key from {{ scores }} where written_at > {{ since }}
        union
        select customer_key from {{ side_relation(scores, 'removed') }} where removed_at > {{ since }}
        union
        {{ customers_with_touches_changed_since(since) }}
        union
        select customer_key from {{ components }}
        where written_at > {{ since }}
           or record_id in (select 'wecom:contact:' || external_userid from {{ contacts }} where loaded_at > {{ since }})
    {%- endset -%}
    {{- return(scope) -}}
{%- endmacro %}


{% macro inbound_contacts_fingerprint() -%}
    {{ unstamped_inputs_fingerprint([ref('channel_map')]) }}
{%- endmacro %}
