{#- Fails for every row where `expression` is not true (NULL counts as a failure unless the
    expression handles it). Used for bounds such as 0 <= rate <= 1 and numerator <= denominator.
    Reads the rows written since the test last passed where the model is stamped (tested_rows.sql). -#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ tested_rows(model) }}
where not coalesce(({{ expression }}), false)
{% endtest %}
