{#- One row per calendar day: the time spine the dbt semantic layer (MetricFlow) joins metrics to. -#}
{{ day_spine("'" ~ var('time_spine_start') ~ "'", "'" ~ var('time_spine_end') ~ "'", 'date_day') }}
