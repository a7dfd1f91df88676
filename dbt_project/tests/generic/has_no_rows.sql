{#- Fails (or warns, by severity) with one row per row of the model: for models that list
    things someone should look at, such as junk identity keys. -#}
{% test has_no_rows(model) %}
select * from {{ model }}
{% endtest %}
