"""CRM: Salesforce object exports and Chinese CRM exports, mapped by ``systems/*.yaml``."""

from orchestration.defs.ingest.factory import build_ingest_asset

from .contracts import LEADS, OPPORTUNITIES, OPPORTUNITY_HISTORY, TASKS
from .systems import file_specs

ENTITIES = [(contract, file_specs(contract)) for contract in (LEADS, OPPORTUNITIES, OPPORTUNITY_HISTORY, TASKS)]
ASSETS = [build_ingest_asset(contract, specs) for contract, specs in ENTITIES]
