{#- The record ids of the CTE `records` and of every member of the components they belonged to in
    the last build (this model's table): relabelling a record can split or move its whole
    previous customer, so its fellow members are looked at with it. -#}
{% macro with_their_held_components(records) -%}
    select record_id from {{ records }}
    union
    select held.record_id
    from {{ this }} as held
    semi join (
        select component_id from {{ this }} as previous semi join {{ records }} using (record_id)
    ) as components using (component_id)
{%- endmacro %}


{#- The fingerprint of what the identity records and their keys are computed with that carries
    no stamp: the model's code and our own mail domains (an address of ours is no record). -#}
{% macro identity_scope_fingerprint() -%}
    md5({{ unstamped_inputs_fingerprint([]) }} || '|{{ var("company_email_domains") }}')
{%- endmacro %}


{#- The changed_rows scope of int_identity__records, and of int_identity__record_keys when
    ``records`` (the records model) is given: a query of the record ids whose row (or keys) can
    differ from the model's table since its last build (its build mark), or none when that
    cannot be told and every record is computed.

    A record follows from the staged rows of its natural id, and a staged row replaced or added
    since the mark carries a later loaded_at (the staging models keep the raw rows' load
    instant). So the records that can differ are those of the leads, opportunities and WeCom
    contacts staged since, the addresses on either side of the mails staged since, and every
    finance record (finance is staged whole, without load instants: its records are few and are
    all compared, the held ones too, so that one whose invoice is gone is removed). The keys
    also follow from what customers write in chat (the senders of the messages staged since),
    and from the records, so their scope adds the records written or removed since.

    None: the first build, no mark, other code or mail domains since the mark (its
    fingerprint), a staging model rebuilt from every raw row since (rows may have gone: see
    rebuilt_since), or, for the keys, records whose changes since are not all logged
    (changes_logged_since). -#}
{% macro identity_record_scope(records=none) -%}
    {%- set leads, opportunities, contacts = ref('stg_crm__leads'), ref('stg_crm__opportunities'), ref('stg_wecom__external_contacts') -%}
    {%- set mails = ref('stg_email__messages') -%}
    {#- the chat messages only for the keys: the records model does not read them -#}
    {%- set messages = ref('stg_wecom__messages') if records is not none else none -%}
    {%- set mark = held_mark_telling_changes(identity_scope_fingerprint(),
                                             staged=[leads, opportunities, contacts, mails] + ([messages] if records is not none else []),
                                             logged=[records] if records is not none else []) -%}
    {%- if mark is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set since = mark.since -%}
    {%- set scope -%}
        select 'crm:lead:' || lead_id as record_id from {{ leads }} where loaded_at > {{ since }}
        union
        select 'crm:opportunity:' || opportunity_id from {{ opportunities }} where loaded_at > {{ since }}
        union
        select 'wecom:contact:' || external_userid from {{ contacts }} where loaded_at > {{ since }}
        union
        select 'email:address:' || address
        from (
            select from_email as address from {{ mails }} where loaded_at > {{ since }}
            union all
            select unnest(to_emails) from {{ mails }} where loaded_at > {{ since }}
        ) as addresses
        where address is not null
        union
        select 'finance:invoice:' || invoice_number from {{ ref('stg_finance__invoices') }}
        union
        select 'finance:bank_receipt:' || transaction_id from {{ ref('stg_finance__bank_receipts') }}
        union
        select record_id from {{ this }} where record_id like 'finance:%'
        {%- if records is not none %}
        union
        select 'wecom:contact:' || sender_id from {{ messages }} where loaded_at > {{ since }} and sender_id is not null
        union
        {{ keys_written_or_removed_since([records], 'record_id', since) }}
        {%- endif %}
    {%- endset -%}
    {{- return(scope) -}}
{%- endmacro %}


{#- The changed_rows scope of int_identity__record_keys (see identity_record_scope). -#}
{% macro identity_record_key_scope() -%}
    {{- return(identity_record_scope(ref('int_identity__records'))) -}}
{%- endmacro %}



{#- The changed_rows scope of int_identity__match_features: the records written or removed since
    its last build; none after other code, another roster or company hint length. -#}
{% macro identity_match_features_scope() -%}
    {{- return(scope_from_stamped_inputs([ref('int_identity__records')], 'record_id', identity_match_features_fingerprint())) -}}
{%- endmacro %}


{% macro identity_match_features_fingerprint() -%}
    md5({{ unstamped_inputs_fingerprint([ref('int_sales_rep_aliases')]) }} || '|{{ var("identity_company_hint_chars") }}')
{%- endmacro %}


{#- The changed_rows scope of bridge_customer_source_record: the records written or removed, and
    the records labelled or removed by the components, since its last build. -#}
{% macro customer_bridge_scope() -%}
    {{- return(scope_from_stamped_inputs([ref('int_identity__records'), ref('int_identity__components')], 'record_id',
                                         unstamped_inputs_fingerprint([]))) -}}
{%- endmacro %}


{#- The fingerprint of what dim_customer is computed with that carries no stamp: its code, the
    survivorship rules, the canonical stages (lifecycle) and the roster's aliases (owner). -#}
{% macro customer_fingerprint() -%}
    {{ unstamped_inputs_fingerprint([ref('survivorship_rules'), ref('canonical_stages'), ref('int_sales_rep_aliases')]) }}
{%- endmacro %}


{#- The changed_rows scope of int_identity__junk_keys: the key values the record keys wrote or
    removed since its last build; none after other code or another records-per-key limit. -#}
{% macro junk_keys_scope() -%}
    {{- return(scope_from_stamped_inputs([ref('int_identity__record_keys')], 'key_value', junk_keys_fingerprint())) -}}
{%- endmacro %}


{% macro junk_keys_fingerprint() -%}
    md5({{ unstamped_inputs_fingerprint([]) }} || '|{{ var("identity_max_records_per_key") }}')
{%- endmacro %}


{#- post-hook of int_identity__components: make its inputs table (the junk keys and the
    probabilistic links marked is_link this build used, as (kind, a, b)) hold the current ones,
    which the next build compares with what it finds then. Kept as a set, brought up to date by
    difference: a night changes a few of its half a million rows, and writing them all again
    took longer than finding those. -#}
{% macro keep_components_inputs(junk_keys, links) -%}
    {%- set inputs, current = side_relation(this, 'inputs'), this.identifier ~ '__current_inputs' -%}
    create table if not exists {{ inputs }} (kind varchar, a varchar, b varchar);
    create or replace temporary table {{ current }} as
    select 'junk_key' as kind, key_type as a, key_value as b from {{ junk_keys }}
    union
    select 'link', record_id_l, record_id_r from {{ links }} where is_link;
    delete from {{ inputs }} as held
    using (select kind, a, b from {{ inputs }} except select kind, a, b from {{ current }}) as gone
    where held.kind = gone.kind and held.a is not distinct from gone.a and held.b is not distinct from gone.b;
    insert into {{ inputs }} select kind, a, b from {{ current }} except select kind, a, b from {{ inputs }};
    drop table {{ current }}
{%- endmacro %}
