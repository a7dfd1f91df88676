"""Settings of one generator run, with the defect rates it injects."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

CRM_SYSTEMS = ("salesforce", "chinese_crm")


@dataclass(frozen=True)
class GeneratorConfig:
    customers: int = 300
    days: int = 184
    seed: int = 7
    start: date = date(2025, 7, 1)
    crm: str = "salesforce"  # which CRM shape the company uses: salesforce | chinese_crm
    # Rates of injected defects (per eligible record unless said otherwise).
    bad_row_rate: float = 0.003  # an extra corrupted row the pipeline must quarantine
    duplicate_lead_rate: float = 0.04  # the same person submits the form again (per lead)
    company_typo_rate: float = 0.02
    junk_mobile_rate: float = 0.003  # a front-desk / test number typed instead of the mobile
    missing_message_id_rate: float = 0.01
    duplicate_message_rate: float = 0.02  # the same mail in the server mailbox and a client export
    redelivery_rate: float = 0.01  # per file: delivered again, byte-identical, a few days later

    def __post_init__(self) -> None:
        if self.crm not in CRM_SYSTEMS:
            raise ValueError(f"crm must be one of {CRM_SYSTEMS}, not {self.crm!r}")
        if self.customers < 0 or self.days < 1:
            raise ValueError("customers must be >= 0 and days >= 1")

    @property
    def start_at(self) -> datetime:
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=ZoneInfo("Asia/Shanghai"))

    @property
    def as_of(self) -> datetime:
        """The end of the simulated window: nothing at or after it has happened yet."""
        return self.start_at + timedelta(days=self.days)

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["start"] = self.start.isoformat()
        return values
