{#- Fails for every combination of `combination_of_columns` that occurs more than once (over the
    rows sharing a combination with a row written since the test last passed: tested_rows.sql). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}, count(*) as occurrences
from {{ rows_sharing_tested_values(model, combination_of_columns) }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}
