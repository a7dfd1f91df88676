{#- Incremental staging of an append-mostly raw table, exact against a full rebuild: the event
    streams, and the latest versions of the CRM records and WeCom contacts (a window over every
    delivered version, which several models read, so it is kept in a table).

    A run reads only the raw rows loaded since the newest row the model holds, and replaces the
    versions it holds of the same keys (delete+insert on the unique key): a newer delivery's
    version of a record wins, as in latest_version. That is exact as long as the history it
    built from is unchanged. The file registry (ingest.files) says when it is not, since the
    last build:
      * a delivery date the model already covers was (re-)loaded: a re-loaded partition, or a
        late delivery loaded out of order;
      * a file the model holds rows from is no longer loaded: a later delivery corrected it, an
        earlier copy replaced it, or its delivery folder was removed and re-ingested;
      * the table held has no watermark (it was built by an earlier version of the model);
    then the model is emptied (pre-hook) and rebuilt from every raw row, in the same run. -#}

{% macro raw_rows_since_last_build(relation) -%}
    {%- if is_incremental() and not raw_history_rewritten(relation) -%}
    (
        select * from {{ relation }}
        where _loaded_at > (select coalesce(max(loaded_at), '-infinity'::timestamptz) from {{ this }})
    )
    {%- else -%}
    {{ relation }}
    {%- endif -%}
{%- endmacro %}


{% macro raw_history_rewritten(relation) -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {#- a table built before the model kept the watermark (a table, or changed_rows, then) -#}
    {%- set held = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if 'loaded_at' not in held or 'delivery_date' not in held -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set query -%}
        with mark as (
            select max(loaded_at) as loaded_at, max(delivery_date) as delivery_date from {{ this }}
        ),

        files as (
            select * from {{ source('ingest', 'files') }}
            where source = '{{ relation.schema | replace("raw_", "", 1) }}'
              and entity = '{{ relation.identifier }}'
        )

        select
            exists (
                select 1 from files, mark
                where files.loaded_at > mark.loaded_at and files.delivery_date <= mark.delivery_date
            )
            or exists (
                select 1
                from (select distinct source_file from {{ this }}) as held
                anti join (select file from files where status = 'loaded') as loaded
                    on loaded.file = held.source_file
            )
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0] | as_bool) }}
{%- endmacro %}


{#- pre-hook of an incremental staging model: empty it when its raw history was rewritten. A
    staging model built from every raw row (so, first of all, emptied) notes when in
    <model>__rebuilt: its rows may then have gone, or gone back to older versions, which a model
    downstream that reads only the rows loaded since its last build cannot see (rebuilt_since). -#}
{% macro rebuild_if_raw_history_rewritten(relation) -%}
    {%- set marker = side_relation(this, 'rebuilt') -%}
    {%- set rewritten = raw_history_rewritten(relation) -%}
    {%- if rewritten -%}
    delete from {{ this }};
    {% endif -%}
    {%- if rewritten or not is_incremental() or not relation_exists(marker) -%}
    create or replace table {{ marker }} as select {{ written_at() }} as rebuilt_at
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}


{#- Whether any of the staging relations was built from every raw row after ``built_at`` (an ISO
    instant), or cannot tell (no note of it): see rebuild_if_raw_history_rewritten. -#}
{% macro rebuilt_since(relations, built_at) -%}
    {%- set markers = [] -%}
    {%- for relation in relations -%}
        {%- set marker = side_relation(relation, 'rebuilt') -%}
        {%- if not relation_exists(marker) -%}
            {{- return(true) -}}
        {%- endif -%}
        {%- do markers.append('select rebuilt_at from ' ~ marker) -%}
    {%- endfor -%}
    {%- set query = "select coalesce(max(rebuilt_at) > '" ~ built_at ~ "'::timestamptz, true) from ("
                    ~ markers | join(' union all ') ~ ")" -%}
    {{- return(run_query(query).columns[0].values()[0] | as_bool) -}}
{%- endmacro %}


{#- Whether an existing relation has the column: an incremental model that starts keeping a new
    column reads it from its last run only once a run has written it. -#}
{% macro relation_has_column(relation, column) -%}
    {{- return(column in (adapter.get_columns_in_relation(relation) | map(attribute='name') | list)) -}}
{%- endmacro %}


{#- The calling model's code, hashed with the code of the project's macros it calls: an
    incremental model that keeps rows computed by an earlier version of itself stamps them with
    it, so that a new version computes them again — of the model, or of a macro it calls (a
    classification rule, a normalisation, a scope), which the model's own text does not show. -#}
{% macro code_fingerprint() -%}
    {{- return(local_md5(model.raw_code ~ '|' ~ project_macros_code(parsed_macro_ids(model)))) -}}
{%- endmacro %}


{#- The macros ``node`` calls as dbt parsed them (the graph's copy of the node; a unit test's
    node, not in the graph, as it is): the node's own list grows while it compiles and runs, so
    a post-hook would fingerprint other macros than the model's SQL did. -#}
{% macro parsed_macro_ids(node) -%}
    {{- return((graph.get('nodes', {}).get(node.unique_id) or node).depends_on.macros) -}}
{%- endmacro %}


{#- The code of the project's macros among ``macro_ids`` (unique ids, as a node's
    depends_on.macros lists them) and of every project macro these call, and so on, each once, in
    the order of their ids. A macro of dbt's counts by the project's implementations that dbt
    dispatches it to (default__test_unique for test_unique); dbt's own code changes only with
    its version. -#}
{% macro project_macros_code(macro_ids) -%}
    {%- set prefix = 'macro.' ~ project_name ~ '.' -%}
    {%- set queue = macro_ids | list -%}
    {%- set code = {} -%}
    {#- the loop walks the list as it grows: each macro found adds the macros it calls -#}
    {%- for macro_id in queue -%}
        {%- set name = macro_id.split('.')[-1] -%}
        {%- for candidate in ([name] if macro_id.startswith(prefix) else [adapter.type() ~ '__' ~ name, 'default__' ~ name]) -%}
            {%- set found = context.get(candidate) -%}
            {%- if found is not none and found.macro is defined and found.macro.package_name == project_name
                  and found.macro.unique_id not in code -%}
                {%- do code.update({found.macro.unique_id: found.macro.macro_sql}) -%}
                {%- do queue.extend(found.macro.depends_on.macros) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{- return(code | dictsort | map('last') | join('\n')) -}}
{%- endmacro %}


{#- A build mark: a one-row table beside an incremental model (<model>__build_mark) that its
    post-hook replaces after each build, in the build's transaction: when the build started and a
    fingerprint of the inputs that carry no stamp of their own (the model's code, a seed). The
    next build reads it at compile time: the stamped rows written after built_at are what
    changed since, and a different fingerprint means everything may have. -#}
{% macro build_mark_relation() -%}
    {{- return(side_relation(this, 'build_mark')) -}}
{%- endmacro %}


{#- A table an incremental model keeps beside its own (<model>__<suffix>, in its schema): its
    build mark, the keys it removed (changed_rows' removed_log), the inputs it last built from,
    when it was last built from every raw row (staging), when each of its data tests last passed
    (tested_rows.sql).
    The suffixes are those in side_relation_suffixes(), which the clean-up of removed models
    leaves alone. -#}
{% macro side_relation(relation, suffix) -%}
    {%- if suffix not in side_relation_suffixes() -%}
        {{ exceptions.raise_compiler_error("side_relation: unknown suffix " ~ suffix) }}
    {%- endif -%}
    {{- return(api.Relation.create(database=relation.database, schema=relation.schema,
                                   identifier=relation.identifier ~ '__' ~ suffix)) -}}
{%- endmacro %}


{#- The relation a model node of the graph builds. -#}
{% macro node_relation(node) -%}
    {{- return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) -}}
{%- endmacro %}


{% macro side_relation_suffixes() -%}
    {{- return(['build_mark', 'removed', 'inputs', 'rebuilt', 'tested']) -}}
{%- endmacro %}


{#- Whether the relation exists in the warehouse now (at execution; false while parsing). Asked of
    the warehouse, not of dbt's relation cache: a side table another model's run made in SQL of
    its own (a removed_log) is not in the cache until the next invocation. -#}
{% macro relation_exists(relation) -%}
    {%- if not execute -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set query -%}
        select count(*) from information_schema.tables
        where table_catalog = '{{ relation.database }}' and table_schema = '{{ relation.schema }}'
          and table_name = '{{ relation.identifier }}'
    {%- endset -%}
    {{- return(run_query(query).columns[0].values()[0] > 0) -}}
{%- endmacro %}


{#- The mark the last build left, as {'built_at': 'ISO instant', 'fingerprint': '…'}; none on a
    full build, or when there is none (the first build since the model kept one). -#}
{% macro held_build_mark() -%}
    {%- if not execute or not is_incremental() -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set relation = build_mark_relation() -%}
    {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set rows = run_query("select strftime(built_at at time zone 'UTC', '%Y-%m-%d %H:%M:%S.%f') || '+00', fingerprint from "
                             ~ relation).rows -%}
    {{- return({'built_at': rows[0][0], 'fingerprint': rows[0][1]} if rows | length == 1 else none) -}}
{%- endmacro %}


{#- The held build mark (held_build_mark) when its fingerprint is the current value of
    ``fingerprint`` (a SQL expression, as given to write_build_mark), else none: rows built with
    other code or settings tell nothing of what changed since. Its ``since`` is its built_at as a
    TIMESTAMPTZ literal, for the stamps written after it. -#}
{% macro held_mark_with_fingerprint(fingerprint) -%}
    {%- set mark = held_build_mark() -%}
    {%- if mark is none or mark.fingerprint != run_query('select ' ~ fingerprint).columns[0].values()[0] -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- do mark.update({'since': "'" ~ mark.built_at ~ "'::timestamptz"}) -%}
    {{- return(mark) -}}
{%- endmacro %}


{#- post-hook: leave this build's mark (fingerprint: a SQL expression giving a VARCHAR). -#}
{% macro write_build_mark(fingerprint) -%}
    create or replace table {{ build_mark_relation() }} as
    select {{ written_at() }} as built_at, ({{ fingerprint }}) as fingerprint
{%- endmacro %}


{#- The fingerprint of a model's code and of the whole content of the given relations (seeds,
    small tables), as a SQL expression: for write_build_mark, and to compare with a held mark. -#}
{% macro unstamped_inputs_fingerprint(relations) -%}
    md5('{{ code_fingerprint() }}'
        {%- for relation in relations %}
        || '|' || coalesce((select string_agg(cast(t as varchar), ';' order by cast(t as varchar)) from {{ relation }} as t), '')
        {%- endfor %})
{%- endmacro %}


{#- The keys (``column``) of the rows the stamped models ``inputs`` wrote (written_at) or
    removed (their removed log) after ``since`` (a TIMESTAMPTZ literal): what a model keyed like
    them must compute again since its last build. -#}
{% macro keys_written_or_removed_since(inputs, column, since) -%}
    {%- for input in inputs %}
    select {{ column }} from {{ input }} where written_at > {{ since }}
    union
    select {{ column }} from {{ side_relation(input, 'removed') }} where removed_at > {{ since }}
    {%- if not loop.last %}
    union
    {%- endif %}
    {%- endfor %}
{%- endmacro %}


{#- Whether the stamps and removed logs of ``inputs`` tell everything they changed after
    ``built_at`` (an ISO instant): each keeps a removed log, and each holds a row written at or
    before it. A table built from scratch since (--full-refresh) has none, and what it lost then
    is in no log. -#}
{% macro changes_logged_since(inputs, built_at) -%}
    {%- for input in inputs -%}
        {%- if not relation_exists(side_relation(input, 'removed')) -%}
            {{- return(false) -}}
        {%- endif -%}
    {%- endfor -%}
    {%- set checks = [] -%}
    {%- for input in inputs -%}
        {%- do checks.append("(select coalesce(min(written_at) <= '" ~ built_at ~ "'::timestamptz, false) from " ~ input ~ ")") -%}
    {%- endfor -%}
    {{- return(run_query('select ' ~ checks | join(' and ')).columns[0].values()[0] | as_bool) -}}
{%- endmacro %}


{#- The held build mark (held_mark_with_fingerprint) when what changed since it can be told from
    stamps: none of the incremental staging models ``staged`` was built from every raw row
    since (rebuilt_since), and the stamps and removed logs of the models ``logged`` tell all
    they changed since (changes_logged_since); none otherwise, and the model computes everything. -#}
{% macro held_mark_telling_changes(fingerprint, staged=[], logged=[]) -%}
    {%- set mark = held_mark_with_fingerprint(fingerprint) -%}
    {%- if mark is none or (staged and rebuilt_since(staged, mark.built_at))
          or (logged and not changes_logged_since(logged, mark.built_at)) -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(mark) -}}
{%- endmacro %}


{#- A changed_rows scope (see get_incremental_changed_rows_sql) for a model whose rows follow,
    key by key, from the rows of stamped models with removed logs (``inputs``, keyed by the same
    ``column``) and from small inputs without stamps, which the fingerprint covers (a SQL
    expression, as given to write_build_mark): the keys written or removed since the model's
    build mark. None without a mark, with another fingerprint, or when the inputs cannot tell
    what changed since (changes_logged_since). -#}
{% macro scope_from_stamped_inputs(inputs, column, fingerprint) -%}
    {%- set mark = held_mark_telling_changes(fingerprint, logged=inputs) -%}
    {%- if mark is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(keys_written_or_removed_since(inputs, column, mark.since)) -}}
{%- endmacro %}
