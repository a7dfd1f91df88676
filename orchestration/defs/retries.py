"""Retry policy for transient failures, shared by the jobs.

What is worth retrying here is contention, not bad data: the warehouse file locked by another
writer (a `dbt` or `duckdb` session someone left open) or a process killed mid-step. Failures that
would repeat on the same data — a malformed file, a failed dbt test, a refused publication — are
raised as ``dg.Failure(allow_retries=False)`` and fail at once.
"""

import dagster as dg

TRANSIENT_RETRIES = dg.RetryPolicy(max_retries=2, delay=20, backoff=dg.Backoff.EXPONENTIAL)
