"""CRM: Salesforce object exports (API field names)."""

from orchestration.defs.ingest.factory import build_ingest_asset
from orchestration.lib.loader import FileSpec
from orchestration.lib.readers import read_csv

from .contracts import LEADS, OPPORTUNITIES, OPPORTUNITY_HISTORY, TASKS

ASSETS = [
    build_ingest_asset(LEADS, [FileSpec("Lead*.csv", read_csv)]),
    build_ingest_asset(OPPORTUNITIES, [FileSpec("Opportunity.csv", read_csv)]),
    build_ingest_asset(OPPORTUNITY_HISTORY, [FileSpec("OpportunityHistory*.csv", read_csv)]),
    build_ingest_asset(TASKS, [FileSpec("Task*.csv", read_csv)]),
]
