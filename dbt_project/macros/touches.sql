{#- The touchpoint ids of WeCom messages recalled later, as one query: int_touchpoints leaves
    them out of what it places and its post-hook deletes those it held before the recall. -#}
{% macro recalled_touchpoint_ids() -%}
    select distinct 'wecom:' || revoked_message_id as touchpoint_id
    from {{ ref('stg_wecom__messages') }}
    where action = 'recall' and revoked_message_id is not null
{%- endmacro %}


{#- The context every touch is placed in (int_touchpoints), hashed as a SQL expression: the
    placing model's code, the reps of the WeCom contact export (who is `out` in a chat) and the
    roster's aliases. -#}
{% macro touch_context_fingerprint() -%}
    md5('{{ code_fingerprint() }}'
        || '|' || coalesce((select string_agg(distinct rep_userid, ',' order by rep_userid)
                            from {{ ref('stg_wecom__external_contacts') }}), '')
        || '|' || coalesce((select string_agg(alias || '=' || rep_id, ',' order by alias, rep_id)
                            from {{ ref('int_sales_rep_aliases') }}), ''))
{%- endmacro %}


{#- The settings every touch event is classified under (int_touch_events), hashed: our mail
    domains, the auto-reply patterns, the behaviour tags' keyword rules and the classifying
    model's code. -#}
{% macro touch_event_settings_fingerprint() -%}
    {%- set company_domains = var('company_email_domains').split(',') | map('trim') | list -%}
    {{- return(local_md5(company_domains | join(',') ~ '|' ~ pattern_alternation(ref('auto_reply_patterns'))
                         ~ '|' ~ behaviour_keyword_rules() | tojson ~ '|' ~ code_fingerprint())) -}}
{%- endmacro %}


{#- The inbound_text rules of the behaviour_tag_rules seed, by tag: [{tag, keywords}], the
    rule's |-separated keywords lower-cased (none while parsing). Read at compile time, as the
    auto-reply patterns are, so that each touch is tagged by an expression of its own row, not a
    join. Keywords, not regular expressions: a pattern that differs from row to row would be
    compiled again for every message (half a minute for two million messages), a keyword test
    is not. -#}
{% macro behaviour_keyword_rules() -%}
    {%- set rules = [] -%}
    {%- if execute -%}
        {%- for tag, pattern in run_query("select tag, lower(pattern) from " ~ ref('behaviour_tag_rules')
                                          ~ " where rule_kind = 'inbound_text' and pattern is not null order by tag").rows -%}
            {%- do rules.append({'tag': tag, 'keywords': pattern.split('|') | select | list}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(rules) -}}
{%- endmacro %}


{#- SQL: the tags of the behaviour keyword rules one of whose keywords the text (lower-cased
    already: lowering it once per keyword cost seven times the whole test) contains, by tag;
    null when none does. -#}
{% macro behaviour_keyword_tags(lowered_text) -%}
    {%- set rules = behaviour_keyword_rules() -%}
    {%- if not rules -%}
    null::varchar[]
    {%- else -%}
    nullif(list_filter([
        {%- for rule in rules %}
        case when {% for keyword in rule.keywords %}contains({{ lowered_text }}, '{{ keyword | replace("'", "''") }}'){% if not loop.last %} or {% endif %}{% endfor %}
            then '{{ rule.tag | replace("'", "''") }}' end{% if not loop.last %},{% endif %}
        {%- endfor %}
    ], lambda tag: tag is not null), []::varchar[])
    {%- endif -%}
{%- endmacro %}


{#- Whether int_touch_events can find what to classify from the staging rows loaded since: its
    last build (the mark) classified under today's settings, and none of its staging inputs was
    built from every raw row since. -#}
{% macro touch_events_from_loaded_since() -%}
    {%- if not execute or not is_incremental() or not relation_has_column(this, 'written_at') -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set mark = held_build_mark() -%}
    {{- return(mark is not none and mark.fingerprint == touch_event_settings_fingerprint()
               and not rebuilt_since([ref('stg_wecom__messages'), ref('stg_email__messages'), ref('stg_crm__tasks')],
                                     mark.built_at)) -}}
{%- endmacro %}


{#- When int_touch_events works from the rows loaded since (touch_events_from_loaded_since), per
    channel, the loaded_at of the newest touch held, as an ISO instant ('-infinity' for a channel
    without any); otherwise none. -#}
{% macro touch_events_watermarks() -%}
    {%- if not touch_events_from_loaded_since() -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set marks = {'wecom': '-infinity', 'email': '-infinity', 'crm': '-infinity'} -%}
    {%- for channel, instant in run_query("select channel, strftime(max(loaded_at) at time zone 'UTC', "
                                          ~ "'%Y-%m-%d %H:%M:%S.%f') || '+00' from " ~ this ~ " group by channel").rows -%}
        {%- do marks.update({channel: instant}) -%}
    {%- endfor -%}
    {{- return(marks) -}}
{%- endmacro %}


{#- SQL: the WeCom message (columns of stg_wecom__messages, qualified by ``alias`` if given) is a
    touch: a one-to-one message sent, not a group chat's nor a recall. int_touch_events classifies
    these, and its hooks delete the touches held whose message no longer is one. -#}
{% macro wecom_message_is_touch(alias=none) -%}
    {%- set column = (alias ~ '.') if alias else '' -%}
    ({{ column }}action = 'send' and {{ column }}room_id is null)
{%- endmacro %}


{#- pre-hook of int_touch_events: working from the rows loaded since, delete the chats held whose
    later version is no longer a one-to-one message sent (it is not classified again), logging
    them in its removed log. -#}
{% macro touch_events_retire_unqualified() -%}
    {%- set watermarks = touch_events_watermarks() -%}
    {%- if watermarks -%}
    {{ create_removed_log(this, unique_key_columns()) }};
    {{ delete_logged("select 'wecom:' || message_id as touchpoint_id from " ~ ref('stg_wecom__messages')
                     ~ " where loaded_at > '" ~ watermarks.wecom ~ "'::timestamptz"
                     ~ " and not " ~ wecom_message_is_touch()) }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}


{#- post-hook of int_touch_events, after keep_removed_log(): having compared every touch, delete
    (and log) those no longer in staging (a corrected or re-ingested delivery). Working from the
    rows loaded since, none can have left staging but those the pre-hook deleted. -#}
{% macro touch_events_delete_unstaged() -%}
    {%- if touch_events_from_loaded_since() -%}
    select 1
    {%- else -%}
    {{ delete_logged("select touchpoint_id from " ~ this ~ " anti join (
        select 'wecom:' || message_id as touchpoint_id from " ~ ref('stg_wecom__messages') ~ "
        where " ~ wecom_message_is_touch() ~ "
        union all
        select 'email:' || message_key from " ~ ref('stg_email__messages') ~ "
        union all
        select 'crm:' || task_id from " ~ ref('stg_crm__tasks') ~ "
    ) as staged using (touchpoint_id)") }}
    {%- endif -%}
{%- endmacro %}


{#- post-hook of int_touchpoints: the touches (touchpoint_id) whose event int_touch_events no
    longer holds, or that were recalled. After its last build none was left, so only the events
    int_touch_events removed since can be missing: those of its removed log, when its build mark
    is under today's context and int_touch_events' changes since are all logged (a log kept
    since then, no rebuild from scratch); otherwise every touch held is looked up (an anti join
    over all of them, a second and a half at a million customers). -#}
{% macro touchpoints_without_event() -%}
    {%- set events = ref('int_touch_events') -%}
    {%- set mark = held_mark_telling_changes(touch_context_fingerprint(), logged=[events]) -%}
    {%- if mark is none -%}
    select touchpoint_id from {{ this }} anti join {{ events }} using (touchpoint_id)
    {%- else -%}
    select removed.touchpoint_id from {{ side_relation(events, 'removed') }} as removed
    anti join {{ events }} as events on events.touchpoint_id = removed.touchpoint_id
    where removed.removed_at > {{ mark.since }}
    {%- endif %}
    union
    {{ recalled_touchpoint_ids() }}
{%- endmacro %}


{#- The changed_rows scope of int_touchpoints: the touches whose row can differ from the one held
    since the model's last build (its build mark), or none when that cannot be told and every
    touch is compared. A touch follows from its event, from the customer of its customer-side
    record and from the context (touch_context_fingerprint, the mark's fingerprint): the touches
    are those of the events classified since (int_touch_events' written_at) and the held touches
    of the records labelled since or no longer identity records (int_identity__components'
    stamps and removed log). A touch whose event is gone or recalled is deleted by the model's
    post-hook, in or out of the scope.

    None: no mark, another context since, events without stamps (an older build), or components
    whose changes since are not all logged (labelled from scratch since). -#}
{% macro touchpoints_scope() -%}
    {%- set events, components = ref('int_touch_events'), ref('int_identity__components') -%}
    {%- set mark = held_mark_telling_changes(touch_context_fingerprint(), logged=[components]) -%}
    {%- if mark is none or not relation_has_column(events, 'written_at') -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set scope -%}
        select touchpoint_id from {{ events }} where written_at > {{ mark.since }}
        union
        select held.touchpoint_id
        from {{ this }} as held
        semi join ({{ keys_written_or_removed_since([components], 'record_id', mark.since) }}) as relabelled
            on relabelled.record_id = held.customer_record_id
    {%- endset -%}
    {{- return(scope) -}}
{%- endmacro %}


{#- The customers whose touches changed after ``since`` (a TIMESTAMPTZ literal): the customer of
    every touch int_touchpoints wrote since and the customer every touch it wrote again or
    deleted since was held under (its removed log). A query of customer_key. -#}
{% macro customers_with_touches_changed_since(since) -%}
    {%- set touchpoints = ref('int_touchpoints') -%}
    select customer_key from {{ touchpoints }} where written_at > {{ since }} and customer_key is not null
    union
    select customer_key from {{ side_relation(touchpoints, 'removed') }} where removed_at > {{ since }} and customer_key is not null
{%- endmacro %}


{#- The customers with a touch whose event int_touch_events classified after ``since``: what the
    touch says may have changed though its row in int_touchpoints did not. A query of
    customer_key. -#}
{% macro customers_with_events_classified_since(since) -%}
    select customer_key from {{ ref('int_touchpoints') }}
    where touchpoint_id in (select touchpoint_id from {{ ref('int_touch_events') }} where written_at > {{ since }})
      and customer_key is not null
{%- endmacro %}


{#- The changed_rows scope of the per-customer touch models (int_customer_touches,
    int_customer_inbound_tags, int_customer_two_way_months): the customers whose touches changed
    since the model's last build (customers_with_touches_changed_since), and, when
    ``with_events`` (what the touches say counts), those with a touch whose event was classified
    since (an event classified again keeps its touch's row as it was), and the customers of the
    rows that the stamped models ``also_logged`` (each logging the customer_key of what it
    rewrites or removes) wrote or removed since. None without a mark of the current code (and of
    ``fingerprint``, a SQL expression as given to write_build_mark, when the model reads
    settings), or with touches or other inputs whose changes since are not all logged. -#}
{% macro customer_touches_scope(with_events=false, fingerprint=none, also_logged=[]) -%}
    {%- set touchpoints = ref('int_touchpoints') -%}
    {%- set mark = held_mark_telling_changes(fingerprint or unstamped_inputs_fingerprint([]), logged=[touchpoints] + also_logged) -%}
    {%- if mark is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set scope -%}
        {{ customers_with_touches_changed_since(mark.since) }}
        {%- if with_events %}
        union
        {{ customers_with_events_classified_since(mark.since) }}
        {%- endif %}
        {%- if also_logged %}
        union
        {{ keys_written_or_removed_since(also_logged, 'customer_key', mark.since) }}
        {%- endif %}
    {%- endset -%}
    {{- return(scope) -}}
{%- endmacro %}


{% macro customer_inbound_tags_scope() -%}
    {{- return(customer_touches_scope(with_events=true)) -}}
{%- endmacro %}


{#- The scope and build-mark fingerprint of int_customer_two_way_months: its code, the churn
    window and the reporting time zone (its months are local). -#}
{% macro customer_two_way_months_scope() -%}
    {{- return(customer_touches_scope(fingerprint=customer_two_way_months_fingerprint())) -}}
{%- endmacro %}


{% macro customer_two_way_months_fingerprint() -%}
    md5({{ unstamped_inputs_fingerprint([]) }} || '|{{ var("lead_churn_window_days") }}|{{ var("reporting_timezone") }}')
{%- endmacro %}


{#- The changed_rows scope of int_customer_weekly_follow_ups: the customers whose touches or lead
    spells changed since its last build (int_lead_spells logs the customer a spell was held
    under). -#}
{% macro customer_follow_ups_scope() -%}
    {{- return(customer_touches_scope(fingerprint=customer_follow_ups_fingerprint(), also_logged=[ref('int_lead_spells')])) -}}
{%- endmacro %}


{% macro customer_follow_ups_fingerprint() -%}
    md5({{ unstamped_inputs_fingerprint([]) }} || '|{{ var("reporting_timezone") }}')
{%- endmacro %}


{#- The scope and build-mark fingerprint of int_outbound_message_replies: its code, the reply
    window and the reporting time zone (its weeks are local). -#}
{% macro outbound_message_replies_scope() -%}
    {{- return(customer_touches_scope(fingerprint=outbound_message_replies_fingerprint())) -}}
{%- endmacro %}


{% macro outbound_message_replies_fingerprint() -%}
    md5({{ unstamped_inputs_fingerprint([]) }} || '|{{ var("interaction_reply_hours") }}|{{ var("reporting_timezone") }}')
{%- endmacro %}
