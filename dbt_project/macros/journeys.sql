{#- changed_rows scopes of the journey models (see get_incremental_changed_rows_sql): the journey
    ids whose rows can differ from those held since a model's last build (its build mark), or
    none when that cannot be told and every journey is computed. A journey follows from its lead
    and opportunity (staged with their load instants), its opportunity's history rows (likewise)
    and, downstream, from the stamped rows of the journey models before it. -#}


{#- The opportunity ids of the history rows staged after ``since``. -#}
{% macro opportunities_with_history_since(since) -%}
    select opportunity_id from {{ ref('stg_crm__opportunity_history') }} where loaded_at > {{ since }}
{%- endmacro %}


{#- int_funnel__journey_links: the journeys of the leads and opportunities staged since, the
    journey of the opportunity a lead staged since converted into (it stops or starts being a
    journey of its own), and of the one it converted into before (this model's held row). -#}
{% macro journey_links_scope() -%}
    {%- set leads, opportunities = ref('stg_crm__leads'), ref('stg_crm__opportunities') -%}
    {%- set mark = held_mark_telling_changes(unstamped_inputs_fingerprint([]), staged=[leads, opportunities]) -%}
    {%- if mark is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set since = mark.since -%}
    {%- set scope -%}
        select 'lead:' || lead_id as journey_id from {{ leads }} where loaded_at > {{ since }}
        union
        select 'opportunity:' || converted_opportunity_id from {{ leads }}
        where loaded_at > {{ since }} and converted_opportunity_id is not null
        union
        select 'opportunity:' || opportunity_id from {{ this }}
        where opportunity_id is not null and lead_id in (select lead_id from {{ leads }} where loaded_at > {{ since }})
        union
        select 'opportunity:' || opportunity_id from {{ opportunities }} where loaded_at > {{ since }}
    {%- endset -%}
    {{- return(scope) -}}
{%- endmacro %}


{#- The journeys whose rows in the stamped ``inputs`` (keyed by journey_id, with removed logs)
    were written or removed since the build mark, and those of the opportunities with history
    staged since; none without a mark of this ``fingerprint``, after the history was staged
    from every raw row, or when the inputs cannot tell what changed. -#}
{% macro journeys_with_history_scope(inputs, fingerprint) -%}
    {%- set mark = held_mark_telling_changes(fingerprint, staged=[ref('stg_crm__opportunity_history')], logged=inputs) -%}
    {%- if mark is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set since = mark.since -%}
    {%- set scope -%}
        {{ keys_written_or_removed_since(inputs, 'journey_id', since) }}
        union
        select journey_id from {{ ref('int_funnel__journey_links') }}
        where opportunity_id in ({{ opportunities_with_history_since(since) }})
    {%- endset -%}
    {{- return(scope) -}}
{%- endmacro %}


{#- int_stage_events: the journeys whose link was written or removed since, and those of the
    opportunities with history staged since; none after other code or stage seeds. -#}
{% macro stage_events_scope() -%}
    {{- return(journeys_with_history_scope([ref('int_funnel__journey_links')], stage_events_fingerprint())) -}}
{%- endmacro %}


{% macro stage_events_fingerprint() -%}
    {{ unstamped_inputs_fingerprint([ref('stage_map'), ref('canonical_stages')]) }}
{%- endmacro %}


{#- int_funnel_journeys: the journeys whose link or stage events were written or removed since,
    and those whose lead's or opportunity's record was labelled or removed by the identity
    components since (its customer); none after other code, channel map or reporting time zone. -#}
{% macro funnel_journeys_scope() -%}
    {%- set links, events, components = ref('int_funnel__journey_links'), ref('int_stage_events'), ref('int_identity__components') -%}
    {%- set mark = held_mark_telling_changes(funnel_journeys_fingerprint(), logged=[links, events, components]) -%}
    {%- if mark is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set since = mark.since -%}
    {%- set scope -%}
        {{ keys_written_or_removed_since([links, events], 'journey_id', since) }}
        union
        select journey_id
        from (
            select journey_id, 'crm:lead:' || lead_id as record_id from {{ links }}
            union all
            select journey_id, 'crm:opportunity:' || opportunity_id from {{ links }}
        ) as journey_records
        where record_id in ({{ keys_written_or_removed_since([components], 'record_id', since) }})
    {%- endset -%}
    {{- return(scope) -}}
{%- endmacro %}


{% macro funnel_journeys_fingerprint() -%}
    md5({{ unstamped_inputs_fingerprint([ref('channel_map')]) }} || '|{{ var("reporting_timezone") }}')
{%- endmacro %}


{#- int_stage_spells: the journeys whose stage events were written or removed since, and those of
    the opportunities with history staged since (an amount or close date re-delivered changes a
    visit, not an event); none after other code. -#}
{% macro stage_spells_scope() -%}
    {{- return(journeys_with_history_scope([ref('int_stage_events')], unstamped_inputs_fingerprint([]))) -}}
{%- endmacro %}


{#- int_stage_move_evidence: the journeys whose visits were written or removed since (the moves),
    whose row of int_funnel_journeys was written or removed since (its customer), and the
    journeys of the customers whose touches changed since or who have a touch whose event was
    classified since (what a touch says is evidence, and an event classified again keeps its
    touch's row as it was); none after other code or gate rules, or with an input whose changes
    since are not all logged. -#}
{% macro stage_move_evidence_scope() -%}
    {%- set spells, journeys, touchpoints = ref('int_stage_spells'), ref('int_funnel_journeys'), ref('int_touchpoints') -%}
    {%- set mark = held_mark_telling_changes(stage_move_evidence_fingerprint(), logged=[spells, journeys, touchpoints]) -%}
    {%- if mark is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set since = mark.since -%}
    {%- set scope -%}
        {{ keys_written_or_removed_since([spells, journeys], 'journey_id', since) }}
        union
        select journey_id from {{ journeys }}
        where customer_key in (
            {{ customers_with_touches_changed_since(since) }}
            union
            {{ customers_with_events_classified_since(since) }}
        )
    {%- endset -%}
    {{- return(scope) -}}
{%- endmacro %}


{% macro stage_move_evidence_fingerprint() -%}
    {{ unstamped_inputs_fingerprint([ref('stage_gate_rules')]) }}
{%- endmacro %}
