"""CRM: Salesforce object exports and Chinese CRM exports, mapped by ``systems/*.yaml``."""

from .contracts import LEADS, OPPORTUNITIES, OPPORTUNITY_HISTORY, TASKS
from .systems import file_specs

ENTITIES = [(contract, file_specs(contract)) for contract in (LEADS, OPPORTUNITIES, OPPORTUNITY_HISTORY, TASKS)]
