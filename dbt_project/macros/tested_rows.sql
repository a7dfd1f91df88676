{#- Data tests over the rows changed since they last passed.

    A night rewrites a fraction of a percent of the big stamped tables (changed_rows' stamp
    column, or delete+insert models that stamp what they write), yet every data test read them
    whole: at a million customers the unique tests of the identity keys, the touch events and
    the touchpoints alone cost 5 s of every build. A row a run does not write keeps its values
    and its stamp, so a row-level test (not_null, accepted_values, expression_is_true) that passed
    on it still holds, and a duplicate key needs at least one row written since the test last
    passed (two older rows were both there, and unique, then). The tests of such a model
    therefore read only:
      * row-level tests: the rows stamped after the test's mark (or with no stamp);
      * unique and unique_combination_of_columns: every row whose key is also the key of such
        a row (a semi join, then the usual group by over those few rows).
    relationships is left whole: a parent row removed since orphans children that were not
    written again.

    A test's mark (a row of <model>__tested) is left by the on-run-end hook of a dbt build or
    test in which the test ran and passed: the newest stamp the model then holds
    (tested_through), the run's start (marked_at) and a fingerprint of the model's code and of
    the test's (tested_fingerprint). A later run stamps what it writes later still (with its
    start, or, in a staging model, with the load time of a raw version newer than any it holds),
    so a row stamped at or before the mark was there, as it is, when the test last passed, or was
    read by an earlier pass. A test reads its whole model when it has no mark (a new test, or one
    whose arguments, and so its name, changed), when the model's code or the test's macros
    changed since, on --full-refresh, or with the var test_changed_rows_only set to false. A
    failed, warned or skipped test keeps its mark, so that its next run reads again everything
    written since.

    A model opts in by naming its stamp column (config stamp_column) with a unique_key; a view
    published row for row from such a model (meta publish_changes_from) is scoped through the
    keys that model stamped. The incremental staging models name their raw load time, loaded_at:
    they write a row only for a version loaded since their last build; a mark made before their
    last rebuild from every raw row does not count (rebuilt_after_mark_check). -#}


{#- What the calling data test (of ``model``, its `model` argument) reads: none when it reads
    everything, else {'since': its mark as a TIMESTAMPTZ literal, 'stamp': the stamp column,
    'keys': the key columns, 'stamped': the relation holding the stamps (the model, or the model
    a view is published from), 'view': whether the model is such a view}. -#}
{% macro test_scope(model) -%}
    {%- if not execute or not var('test_changed_rows_only', true) or flags.FULL_REFRESH
          or model is string or model.identifier is not defined -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set node = tested_node(model) -%}
    {%- set stamped_node = stamped_node_of(node) if node is not none else none -%}
    {%- if stamped_node is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {#- made at the end of an earlier invocation, so in dbt's cache of relations: no query -#}
    {%- set marks = side_relation(model, 'tested') -%}
    {%- if adapter.get_relation(marks.database, marks.schema, marks.identifier) is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set not_rebuilt_since = rebuilt_after_mark_check(stamped_node) -%}
    {%- if not_rebuilt_since is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set rows = run_query("select strftime(tested_through at time zone 'UTC', '%Y-%m-%d %H:%M:%S.%f') || '+00' from "
                             ~ marks ~ " where test = '" ~ this.identifier ~ "' and fingerprint = '"
                             ~ tested_fingerprint(node, stamped_node, context['model']) ~ "'" ~ not_rebuilt_since).rows -%}
    {%- if rows | length != 1 -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set keys = stamped_node.config.unique_key -%}
    {{- return({'since': "'" ~ rows[0][0] ~ "'::timestamptz", 'stamp': stamped_node.config.stamp_column,
                'keys': [keys] if keys is string else keys, 'stamped': node_relation(stamped_node),
                'view': stamped_node.unique_id != node.unique_id}) -}}
{%- endmacro %}


{#- The model node a generic test's relation is, or none (found by name: this project's models
    are not aliased). -#}
{% macro tested_node(relation) -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ relation.identifier) -%}
    {{- return(node if node is not none and node.schema | lower == relation.schema | lower
                       and node.alias | lower == relation.identifier | lower else none) -}}
{%- endmacro %}


{#- The node holding the stamps of ``node``'s rows: itself when it names a stamp column and a
    unique key, the model it is published from row for row when it is a view (meta
    publish_changes_from) of such a model, else none. -#}
{% macro stamped_node_of(node) -%}
    {%- if node.config.stamp_column and node.config.unique_key -%}
        {{- return(node) -}}
    {%- endif -%}
    {%- set source = graph.nodes.get('model.' ~ project_name ~ '.' ~ (node.config.meta or {}).get('publish_changes_from')) -%}
    {%- if node.config.materialized == 'view' and source is not none and source.unique_id in node.depends_on.nodes
          and source.config.stamp_column and source.config.unique_key -%}
        {{- return(source) -}}
    {%- endif -%}
    {{- return(none) -}}
{%- endmacro %}


{#- An incremental staging model stamps its rows with their raw load time (loaded_at), which
    its rebuild from every raw row (rebuild_if_raw_history_rewritten, noted in <model>__rebuilt
    with the run's start) keeps on rows it may have written back differently: a mark made by a
    run before that rebuild (marked_at, that run's start) covers none of them. The condition on
    the marks that says so (empty for a model that stamps what it writes itself), or none when
    the note is missing, so that the test reads everything. -#}
{% macro rebuilt_after_mark_check(stamped_node) -%}
    {%- set pre_hooks = stamped_node.config.get('pre-hook') or stamped_node.config.get('pre_hook') or [] -%}
    {%- if 'rebuild_if_raw_history_rewritten' not in pre_hooks | map(attribute='sql') | join(' ') -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set rebuilt = side_relation(node_relation(stamped_node), 'rebuilt') -%}
    {%- if adapter.get_relation(rebuilt.database, rebuilt.schema, rebuilt.identifier) is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(' and marked_at >= (select max(rebuilt_at) from ' ~ rebuilt ~ ')') -}}
{%- endmacro %}


{#- What the mark of the data test ``test_node`` is valid under: the code of the model (and of the
    model a view is published from), and the code of the test (its macros: a generic test of the
    project, or the project's versions of dbt's, and the scoping here that they call). A test
    whose arguments change has another name, and so no mark; one whose macro changes — a check
    made stricter — reads every row again once, as a new test would. -#}
{% macro tested_fingerprint(node, stamped_node, test_node) -%}
    {{- return(local_md5('tested_rows v2|' ~ node.checksum.checksum ~ '|' ~ stamped_node.checksum.checksum
                         ~ '|' ~ project_macros_code(parsed_macro_ids(test_node)))) -}}
{%- endmacro %}


{#- The rows a row-level test reads: the model, or those of its rows written since the mark. -#}
{% macro tested_rows(model) -%}
    {{- rows_written_since(model, test_scope(model)) -}}
{%- endmacro %}


{#- The rows a uniqueness test on ``columns`` reads: the model, or its rows sharing those columns'
    values with a row written since the mark (NULLs match NULLs, as group by groups them). -#}
{% macro rows_sharing_tested_values(model, columns) -%}
    {%- set scope = test_scope(model) -%}
    {%- if scope is none -%}
    {{ model }}
    {%- else -%}
    (select held.* from {{ model }} as held
     semi join (select {{ columns | join(', ') }} from {{ rows_written_since(model, scope) }}) as changed
         on {{ keys_equal(columns, 'held', 'changed', null_equal=true) }}) as tested
    {%- endif -%}
{%- endmacro %}


{% macro rows_written_since(model, scope) -%}
    {%- if scope is none -%}
    {{ model }}
    {%- elif not scope.view -%}
    (select * from {{ model }} where {{ scope.stamp }} > {{ scope.since }} or {{ scope.stamp }} is null) as tested
    {%- else -%}
    (select tested.* from {{ model }} as tested
     semi join ({{ changed_keys_sql(scope) }}) as changed on {{ keys_equal(scope['keys'], 'tested', 'changed', null_equal=true) }}) as tested
    {%- endif -%}
{%- endmacro %}


{#- The keys the stamped relation wrote since the mark (or holds unstamped). -#}
{% macro changed_keys_sql(scope) -%}
    select {{ scope['keys'] | join(', ') }} from {{ scope.stamped }}
    where {{ scope.stamp }} > {{ scope.since }} or {{ scope.stamp }} is null
{%- endmacro %}


{#- on-run-end: record, beside each stamped model, the data tests of it that passed in this dbt
    build or test, with the newest stamp it holds, the run's start and the fingerprint they
    passed under; the marks of the model's other tests, and of its tests under other code, stay
    or go as described above. -#}
{% macro mark_tested_models(results) -%}
    {%- if not execute or flags.WHICH not in ('build', 'test') -%}
        {{- return('select 1') -}}
    {%- endif -%}
    {%- set passed = {} -%}
    {%- for result in results if result.node.resource_type == 'test' and result.status == 'pass'
          and result.node.attached_node -%}
        {%- do passed.setdefault(result.node.attached_node, []).append(result.node.alias) -%}
    {%- endfor -%}
    {#- every data test of those models, run or not: a mark no longer valid for its test goes -#}
    {%- set tests_of = {} -%}
    {%- for test_node in graph.nodes.values() if test_node.resource_type == 'test'
          and test_node.attached_node in passed -%}
        {%- do tests_of.setdefault(test_node.attached_node, []).append(test_node) -%}
    {%- endfor -%}
    {%- for model_id, tests in passed.items() -%}
        {%- set node = graph.nodes.get(model_id) -%}
        {%- set stamped_node = stamped_node_of(node) if node is not none else none -%}
        {%- if stamped_node is not none -%}
            {%- set marks = side_relation(node_relation(node), 'tested') -%}
            {%- set fingerprints = {} -%}
            {%- for test_node in tests_of[model_id] -%}
                {%- do fingerprints.update({test_node.alias: tested_fingerprint(node, stamped_node, test_node)}) -%}
            {%- endfor -%}
            {%- set valid = [] -%}
            {%- for test, fingerprint in fingerprints | dictsort -%}
                {%- do valid.append("('" ~ test ~ "', '" ~ fingerprint ~ "')") -%}
            {%- endfor -%}
            {%- set tested = [] -%}
            {%- for test in tests -%}
                {%- do tested.append("('" ~ test ~ "', '" ~ fingerprints[test] ~ "')") -%}
            {%- endfor -%}
            {%- set record -%}
            create table if not exists {{ marks }} (test varchar, tested_through timestamptz, fingerprint varchar);
            alter table {{ marks }} add column if not exists marked_at timestamptz;
            delete from {{ marks }} as mark
            where mark.test in (select test from (values {{ tested | join(', ') }}) as passed (test, fingerprint))
               or not exists (select 1 from (values {{ valid | join(', ') }}) as valid (test, fingerprint)
                              where valid.test = mark.test and valid.fingerprint = mark.fingerprint);
            insert into {{ marks }} (test, tested_through, fingerprint, marked_at)
            select test, (select coalesce(max({{ stamped_node.config.stamp_column }}), '-infinity'::timestamptz)
                          from {{ node_relation(stamped_node) }}), fingerprint, {{ written_at() }}
            from (values {{ tested | join(', ') }}) as passed (test, fingerprint)
            {%- endset -%}
            {%- do run_query(record) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return('select 1') -}}
{%- endmacro %}


{#- dbt's own unique, not_null and accepted_values, reading what tested_rows and
    rows_sharing_tested_values give (dbt_project.yml's dispatch puts this project before dbt's
    global macros); their results are those of dbt's versions over the rows read. -#}
{% macro default__test_unique(model, column_name) -%}
select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ rows_sharing_tested_values(model, [column_name]) }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1
{%- endmacro %}


{% macro default__test_not_null(model, column_name) -%}
select {{ '*' if should_store_failures() else column_name }}
from {{ tested_rows(model) }}
where {{ column_name }} is null
{%- endmacro %}


{% macro default__test_accepted_values(model, column_name, values, quote=True) -%}
with all_values as (
    select
        {{ column_name }} as value_field,
        count(*) as n_records
    from {{ tested_rows(model) }}
    group by {{ column_name }}
)

select *
from all_values
where value_field not in (
    {%- for value in values -%}
        {%- if quote -%}'{{ value }}'{%- else -%}{{ value }}{%- endif -%}
        {%- if not loop.last -%}, {% endif -%}
    {%- endfor -%}
)
{%- endmacro %}
