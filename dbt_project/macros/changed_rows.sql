{#- The `changed_rows` incremental strategy: the model computes its whole result, as a table
    would, and a run writes only the rows that differ from those held.

    A table rebuilt every night writes (and compresses) every row again, though one day changes
    a fraction of a percent of them; at a million customers writing cost more than computing
    for the identity records and keys and about as much as the diff below for the stage
    transitions and other wide tables. Here the result is compared with the table key by key,
    column by column (IS DISTINCT FROM: exact, NULLs included); a key whose row changed or is
    gone is deleted, a changed or new row inserted, and the log says how many keys that was.
    The table then holds what a rebuild would, row for row, whatever the model's code or inputs
    did: nothing is tracked between runs. A new column differs in every row, so the table is
    written in full once (on_schema_change 'sync_all_columns'; a contracted mart must use
    'append_new_columns', and a column it drops needs a --full-refresh).

    A model may name a stamp column (config stamp_column): the model fills it with the run's
    start (written_at()), it is left out of the comparison, and so a row keeps the stamp of the
    run that last wrote it. A model downstream then finds what changed since its own last build
    without comparing everything (dim_customer). A held row without a stamp (the column is new)
    counts as changed, so the table is stamped in full once.

    A model may also keep a log of the keys a run removed (config removed_log=true): the keys
    held that the result no longer has go into <model>__removed with the run's start
    (removed_at), so that a model downstream finds, with the stamps, every key added or gone
    since its own last build (int_identity__components). A key whose row only changed is not
    logged: it is stamped again. Unless the log also keeps columns of the held rows (config
    removed_log_columns): then every held row a run deletes, changed or gone, is logged with its
    values of them, because a model downstream keyed by such a column must look at the value a
    row had as well as the one it has (int_touchpoints logs the customer a touch was held under).

    A model may be computed for a scope of its keys only (config changed_rows_scope_column: a
    key column): its SQL opens with ``{% set scope = changed_rows_scope_query(<scope macro>()) %}``,
    the scope macro returning none (compute everything) or a query of the values of that column
    whose rows can differ from those held since the model's last build. The model then computes
    only the rows of those values, and only the held rows of those values are compared (and
    written or removed): the others are left as they are. At a million customers a night touches
    the records of a few thousand; computing them all again cost more than finding which. The
    scope macro decides from the model's build mark and the stamps of its inputs, and answers
    none whenever it cannot tell (int_identity__records). changed_rows_scope_query() computes
    the scope once into a temporary table, which the model's SQL and the comparison here both
    read; the comparison takes the scope its SQL read, if any, and leaves out a scope that
    covers much of the table (see there).

    The model's result is not stored before it is compared: dbt's incremental materialization
    would write it whole into a temporary table (create_table_as, overridden below for these
    models to make a temporary view), and writing millions of rows cost more than the comparison.
    The comparison reads the view once and keeps only the rows that differ, with their new
    values, from which the table is then written. -#}
{% macro get_incremental_changed_rows_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set keys = [arg_dict['unique_key']] if arg_dict['unique_key'] is string else arg_dict['unique_key'] -%}
    {%- if not keys -%}
        {{ exceptions.raise_compiler_error("changed_rows needs the model's unique_key") }}
    {%- endif -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='name') | map('lower') | list -%}
    {%- set stamp = config.get('stamp_column') -%}
    {%- set compared = columns | reject('equalto', stamp) | list if stamp else columns -%}
    {%- set changed = adapter.quote(target.identifier ~ '__changed_rows') -%}
    {%- set key_columns = keys | map('lower') | list -%}
    {%- set on_keys = keys_equal(keys, 'held', 'new') -%}

    {%- set removed_log = config.get('removed_log', false) -%}
    {%- set scope_column = config.get('changed_rows_scope_column') -%}
    {#- the scope the model's result was computed for: the one its SQL reads, if any -#}
    {%- set scope_table = changed_rows_scope_relation() -%}
    {%- set scope = changed_rows_scope_select(scope_column) if scope_column and scope_table in compiled_code else none -%}
    {#- the rows held that the result is compared with: all, or those of the scope -#}
    {%- set held_rows -%}
        {%- if scope is not none -%}
        (select * from {{ target }} where {{ adapter.quote(scope_column) }} in ({{ scope }}))
        {%- else -%}
        {{ target }}
        {%- endif -%}
    {%- endset -%}
    {#- the changed rows: the result's columns (for a key gone, its key and NULLs) and whether it is gone -#}
    {%- set find_changed -%}
        create or replace temporary table {{ changed }} as
        select
            {% for column in columns -%}
            {% if column in key_columns %}coalesce(new.{{ adapter.quote(column) }}, held.{{ adapter.quote(column) }}){% else %}new.{{ adapter.quote(column) }}{% endif %} as {{ adapter.quote(column) }},
            {% endfor -%}
            new.{{ keys[0] }} is null as __is_gone
        from {{ source }} as new
        full join {{ held_rows }} as held on {{ on_keys }}
        where held.{{ keys[0] }} is null
           or new.{{ keys[0] }} is null
           {%- if stamp %}
           or held.{{ adapter.quote(stamp) }} is null
           {%- endif %}
           or ({{ changed_rows_columns('held', compared) }}) is distinct from ({{ changed_rows_columns('new', compared) }})
    {%- endset -%}
    {%- do run_query(find_changed) -%}
    {%- set differing = run_query('select count(*) from ' ~ changed).columns[0].values()[0] -%}
    {%- do log(target.schema ~ '.' ~ target.identifier ~ ': ' ~ differing ~ ' keys whose rows differ from the result are written (changed_rows'
               ~ (', within a scope' if scope is not none else '') ~ ')', info=True) -%}

    {% if removed_log -%}
    {%- set log = side_relation(target, 'removed') -%}
    {%- set logged_columns = removed_log_columns() -%}
    {%- if not relation_exists(log) %}
    {{ create_removed_log(target, keys) }};
    {%- endif %}

    {% if logged_columns -%}
    insert into {{ log }}
    select {{ changed_rows_columns('held', keys + logged_columns) }}, {{ written_at() }}
    from {{ target }} as held
    semi join {{ changed }} as new on {{ on_keys }};
    {%- else -%}
    insert into {{ log }}
    select {{ changed_rows_columns('gone', keys) }}, {{ written_at() }} from {{ changed }} as gone where gone.__is_gone;
    {%- endif %}

    {% endif -%}
    delete from {{ target }} as held
    using {{ changed }} as new
    where {{ on_keys }};

    insert into {{ target }} ({{ get_quoted_csv(columns) }})
    select {{ changed_rows_columns('new', columns) }}
    from {{ changed }} as new
    where not new.__is_gone;

    drop table {{ changed }}
    {%- if scope is not none %};
    drop table {{ scope_table }}
    {%- endif %}
{%- endmacro %}


{#- The temporary table a changed_rows model's scope is computed into (changed_rows_scope_query),
    for the model's own connection. -#}
{% macro changed_rows_scope_relation() -%}
    {{- return(adapter.quote(this.identifier ~ '__scope')) -}}
{%- endmacro %}


{#- The query of the values in a changed_rows model's scope table (changed_rows_scope_relation). -#}
{% macro changed_rows_scope_select(scope_column) -%}
    {{- return('select ' ~ adapter.quote(scope_column) ~ ' from ' ~ changed_rows_scope_relation()) -}}
{%- endmacro %}


{#- The scope a changed_rows model is computed for, given the query of its scope macro (or none:
    compute and compare every key), as a query of the values of its changed_rows_scope_column,
    or none. A scoped model opens with ``{% set scope = changed_rows_scope_query(<scope macro>()) %}``.

    Run as the model builds, the query's values are written once into a temporary table
    (changed_rows_scope_relation()) that the model's SQL and the comparison of its result with
    the rows held both read, instead of each computing the query again.

    A scope that covers more than var('changed_rows_max_scope_share') of the rows held is not
    used: the model is computed and compared whole, as without a scope. That happens when every
    key may have changed though few did, e.g. the night after a change to the code or settings
    of an input that stamps every row it classifies again (int_touch_events): a scope of all six
    million touches of 1M customers made int_touchpoints' comparison run out of DuckDB's 3 GB,
    where comparing the whole table takes 2.2 GB and half the time; up to a quarter of the rows
    the scoped comparison is the faster and the smaller. The share is counted on the rows held:
    the scope's values against the rows when the column is the model's whole key, else the held
    rows that have one of them. A scope of at most var('changed_rows_small_scope_rows') rows held
    is used whatever its share: comparing so few rows costs nothing, whereas computing the model
    whole may cost much (int_identity__junk_keys holds one row at a million customers, the
    front-desk phone that new leads type in most nights: the thousand key values of a night's
    scope, counted against that one row, sent the model to group all six million keys). -#}
{% macro changed_rows_scope_query(query) -%}
    {%- if not execute or query is none -%}
        {{- return(query) -}}
    {%- endif -%}
    {%- set scope_column = config.get('changed_rows_scope_column') -%}
    {%- set column = adapter.quote(scope_column) -%}
    {%- set table = changed_rows_scope_relation() -%}
    {%- do run_query('create or replace temporary table ' ~ table ~ ' as select distinct ' ~ column
                     ~ ' from (' ~ query ~ ') as scope where ' ~ column ~ ' is not null') -%}
    {%- set counts = run_query('select (select count(*) from ' ~ table ~ '), (select count(*) from ' ~ this ~ ')').rows[0] -%}
    {%- set values, held = counts[0], counts[1] -%}
    {%- set most = [(held | float) * (var('changed_rows_max_scope_share') | float),
                    var('changed_rows_small_scope_rows') | float] | max -%}
    {#- A scope column that is not the whole key: its values may have no rows held (a key value
        counted into int_identity__junk_keys only once it is junk), so the rows are counted. -#}
    {%- if unique_key_columns() | map('lower') | list != [scope_column | lower] -%}
        {%- set values = run_query('select count(*) from ' ~ this ~ ' semi join ' ~ table ~ ' using (' ~ column ~ ')').columns[0].values()[0] -%}
    {%- endif -%}
    {%- if values > most -%}
        {%- do run_query('drop table ' ~ table) -%}
        {%- do log(this.schema ~ '.' ~ this.identifier ~ ': its scope covers ' ~ values ~ ' of the ' ~ held
                   ~ ' rows held, more than changed_rows_max_scope_share: computed and compared whole', info=True) -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(changed_rows_scope_select(scope_column)) -}}
{%- endmacro %}



{#- The relation a changed_rows model's result is compared from: a temporary view over the
    model's SQL rather than the temporary table dbt-duckdb makes for an incremental run (see
    get_incremental_changed_rows_sql). Every other model, and every other table, is made as
    dbt-duckdb makes it. -#}
{% macro duckdb__create_table_as(temporary, relation, compiled_code, language='sql', partitioned_by=none, sorted_by=none) -%}
    {%- if temporary and language == 'sql' and config.get('incremental_strategy') == 'changed_rows' -%}
    create or replace temporary view {{ relation.include(database=false, schema=false) }} as (
        {{ compiled_code }}
    )
    {%- else -%}
    {{ dbt.duckdb__create_table_as(temporary, relation, compiled_code, language, partitioned_by, sorted_by) }}
    {%- endif -%}
{%- endmacro %}


{#- The removed log of a changed_rows model (its keys, the removed_log_columns, and removed_at),
    empty if new. The model's post-hook keep_removed_log() makes it on every build, a full one
    too, so that the log is there from the first build on and a later run does not add a table
    to the warehouse. -#}
{% macro create_removed_log(target, keys) -%}
    create table if not exists {{ side_relation(target, 'removed') }} as
    select {{ changed_rows_columns('held', keys + removed_log_columns()) }}, {{ written_at() }} as removed_at
    from {{ target }} as held where false
{%- endmacro %}


{#- The key columns of the model being built (its config unique_key), as a list. -#}
{% macro unique_key_columns() -%}
    {%- set keys = config.get('unique_key') -%}
    {{- return([keys] if keys is string else keys) -}}
{%- endmacro %}


{#- hook of a model that keeps a removed log, once the log exists (keep_removed_log() in a
    post-hook, create_removed_log in a pre-hook): delete the rows whose keys ``doomed`` (a query
    of the model's key columns) returns, logging them as its strategy logs the rows it removes.
    The keys are found once, for the log and the delete. -#}
{% macro delete_logged(doomed) -%}
    {%- set keys = unique_key_columns() -%}
    {%- set doomed_keys = adapter.quote(this.identifier ~ '__doomed') -%}
    {%- set on_keys = keys_equal(keys, 'held', 'doomed') -%}
    create or replace temporary table {{ doomed_keys }} as {{ doomed }};
    insert into {{ side_relation(this, 'removed') }}
    select {{ changed_rows_columns('held', keys + removed_log_columns()) }}, {{ written_at() }}
    from {{ this }} as held semi join {{ doomed_keys }} as doomed on {{ on_keys }};
    delete from {{ this }} as held using {{ doomed_keys }} as doomed where {{ on_keys }};
    drop table {{ doomed_keys }}
{%- endmacro %}


{#- post-hook of a model that keeps a removed log: make it if new, and trim it (trim_removed_log). -#}
{% macro keep_removed_log() -%}
    {{ create_removed_log(this, unique_key_columns()) }};
    {{ trim_removed_log() }}
{%- endmacro %}


{#- Delete from the removed log what every reader of it has read and is older than
    var('removed_log_retention_days'), so that a log does not grow a night's removals for
    ever. A model that reads another's removed log refs it, so its readers are among the model's
    children; a child reads the rows removed after its build mark, so a row removed at or before
    the oldest mark of the children that have one is read by all (a child without a mark
    compares everything at its next build). The days kept serve a look at what recent nights
    removed; they do not matter to what a reader computes. -#}
{% macro trim_removed_log() -%}
    {%- set marks = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values()
                if node.resource_type == 'model' and model.unique_id in node.depends_on.nodes -%}
            {%- set mark = side_relation(node_relation(node), 'build_mark') -%}
            {%- if relation_exists(mark) -%}
                {%- do marks.append('select built_at from ' ~ mark) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif %}
    delete from {{ side_relation(this, 'removed') }}
    where removed_at < {{ written_at() }} - to_days({{ var('removed_log_retention_days') | int }})
      {%- if marks %}
      and removed_at <= (select min(built_at) from ({{ marks | join(' union all ') }}))
      {%- endif %}
{%- endmacro %}



{#- The CTE `scope` of a model computed for a scope (changed_rows_scope_query), with the comma that
    follows it, to open the model's WITH (``with {{ scope_cte(scope) }} first as (…)``); nothing
    without a scope. -#}
{% macro scope_cte(scope) -%}
    {%- if scope is not none -%}
scope as (
    {{ scope }}
),
    {%- endif -%}
{%- endmacro %}


{#- A filter for a model computed for a scope (changed_rows_scope_query), held in its CTE `scope`:
    whether ``value`` (the SQL of a row's value of the scope's ``column``) is in the scope;
    always true without one. -#}
{% macro in_scope(scope, column, value) -%}
    {%- if scope is none -%}true{%- else -%}{{ value }} in (select {{ column }} from scope){%- endif -%}
{%- endmacro %}


{#- The held columns a model's removed log keeps besides its keys (config removed_log_columns; none
    by default). -#}
{% macro removed_log_columns() -%}
    {{- return(config.get('removed_log_columns') or []) -}}
{%- endmacro %}


{#- SQL: the key columns of two aliases are equal: held.a = new.a and held.b = new.b …; with
    null_equal, NULL equals NULL (is not distinct from), as group by groups them. -#}
{% macro keys_equal(keys, left, right, null_equal=false) -%}
    {%- set equals = ' is not distinct from ' if null_equal else ' = ' -%}
    {%- for key in keys %}{{ left }}.{{ key }}{{ equals }}{{ right }}.{{ key }}{% if not loop.last %} and {% endif %}{% endfor -%}
{%- endmacro %}


{#- post-hook: delete the rows whose ``column`` value ``relation`` no longer has (an anti join:
    NOT IN over millions of keys cost several times as much). -#}
{% macro delete_rows_missing_from(column, relation) -%}
    delete from {{ this }} where {{ column }} in ({{ missing_from(column, relation) }})
{%- endmacro %}


{#- SQL: the ``column`` values of the model being built that ``relation`` no longer has (a query,
    e.g. the keys delete_logged deletes and logs). -#}
{% macro missing_from(column, relation) -%}
    select {{ column }} from {{ this }} anti join {{ relation }} using ({{ column }})
{%- endmacro %}


{#- The columns, quoted and qualified by the alias: held.a, held.b, … -#}
{% macro changed_rows_columns(alias, columns) -%}
    {%- for column in columns %}{{ alias }}.{{ adapter.quote(column) }}{% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}


{#- The run's start as a TIMESTAMPTZ literal: what a stamp column holds for the rows a run
    writes (the same instant in every model of one dbt invocation). -#}
{% macro written_at() -%}
    '{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}+00'::timestamptz
{%- endmacro %}
