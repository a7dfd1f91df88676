"""Delivery partitions: one per delivery date, the name of the ``<source>/<YYYY-MM-DD>/`` folders.

Daily, in Asia/Shanghai, from ``FUNNEL_FIRST_DELIVERY_DATE`` (default 2025-07-01). ``end_offset=1``
makes today's partition exist as soon as the day starts, because the nightly exports of
yesterday's activity land after midnight.
"""

import os

import dagster as dg

FIRST_DELIVERY_DATE = os.environ.get("FUNNEL_FIRST_DELIVERY_DATE", "2025-07-01")

DELIVERY_PARTITIONS = dg.DailyPartitionsDefinition(
    start_date=FIRST_DELIVERY_DATE, timezone="Asia/Shanghai", end_offset=1, fmt="%Y-%m-%d"
)
