"""Sales-funnel data platform: the Dagster code location and its command-line interface."""
