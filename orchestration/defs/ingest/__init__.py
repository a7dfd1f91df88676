"""Ingest assets, one per source entity, each declared by a contract in its source package."""

import dagster as dg

from .crm import ASSETS as CRM_ASSETS
from .email import ASSETS as EMAIL_ASSETS
from .finance import ASSETS as FINANCE_ASSETS
from .wecom import ASSETS as WECOM_ASSETS

defs = dg.Definitions(assets=[*WECOM_ASSETS, *EMAIL_ASSETS, *FINANCE_ASSETS, *CRM_ASSETS])
