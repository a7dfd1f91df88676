"""Finance (财务): VAT e-invoices, bank receipts and marketing spend; Chinese headers, CSV or xlsx."""

from orchestration.lib.loader import FileSpec
from orchestration.lib.readers import read_csv, read_xlsx

from .contracts import BANK_RECEIPTS, INVOICES, MARKETING_SPEND


def _csv_or_xlsx(stem: str) -> list[FileSpec]:
    return [FileSpec(f"{stem}*.csv", read_csv), FileSpec(f"{stem}*.xlsx", read_xlsx)]


ENTITIES = [
    (INVOICES, _csv_or_xlsx("invoices")),
    (BANK_RECEIPTS, _csv_or_xlsx("bank_receipts")),
    (MARKETING_SPEND, _csv_or_xlsx("marketing_spend")),
]
