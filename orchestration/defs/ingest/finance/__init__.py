"""Finance (财务): VAT e-invoice exports and bank receipts, Chinese headers, CSV or xlsx."""

from orchestration.defs.ingest.factory import build_ingest_asset
from orchestration.lib.loader import FileSpec
from orchestration.lib.readers import read_csv, read_xlsx

from .contracts import BANK_RECEIPTS, INVOICES

ASSETS = [
    build_ingest_asset(INVOICES, [FileSpec("invoices*.csv", read_csv), FileSpec("invoices*.xlsx", read_xlsx)]),
    build_ingest_asset(
        BANK_RECEIPTS, [FileSpec("bank_receipts*.csv", read_csv), FileSpec("bank_receipts*.xlsx", read_xlsx)]
    ),
]
