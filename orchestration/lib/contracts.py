"""One declaration per source entity: its fields, their types, and what is required.

A contract drives everything downstream of the file reader: header mapping, type conversion,
the required-column check, the quarantine reasons, the warehouse DDL and the Arrow schema used
to load. Source modules only declare contracts; they never re-implement any of this.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

import pyarrow as pa

from . import normalise
from .errors import RowError


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _integer(value: Any) -> int | None:
    text = _text(value)
    return None if text is None else int(float(text)) if "." in text else int(text)


def _money(value: Any) -> Decimal | None:
    text = _text(value)
    if text is None:
        return None
    cleaned = text.replace(",", "").replace("¥", "").replace("￥", "").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    return amount.quantize(Decimal("0.01"))


def _rate(value: Any) -> Decimal | None:
    text = _text(value)
    if text is None:
        return None
    if text.endswith("%"):
        return (Decimal(text[:-1]) / 100).quantize(Decimal("0.0001"))
    return Decimal(text).quantize(Decimal("0.0001"))


def _boolean(value: Any) -> bool | None:
    text = _text(value)
    if text is None:
        return None
    lowered = text.lower()
    if lowered in {"true", "1", "yes", "y", "是"}:
        return True
    if lowered in {"false", "0", "no", "n", "否"}:
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _text_list(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = json.loads(value) if value.strip().startswith("[") else [value]
    return [str(v) for v in value if v is not None and str(v).strip()]


_JSON_TEXT = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode  # built once, not per value


def _json(value: Any) -> str | None:
    return None if value is None else _JSON_TEXT(value)


@dataclass(frozen=True)
class ColumnType:
    """How a declared type converts a raw value, loads through Arrow and lands in SQL."""

    convert: Callable[[Any], Any]
    arrow: pa.DataType
    sql: str


TYPES: Mapping[str, ColumnType] = {
    "text": ColumnType(_text, pa.string(), "VARCHAR"),
    "integer": ColumnType(_integer, pa.int64(), "BIGINT"),
    "money": ColumnType(_money, pa.decimal128(18, 2), "DECIMAL(18,2)"),
    "rate": ColumnType(_rate, pa.decimal128(9, 4), "DECIMAL(9,4)"),
    "boolean": ColumnType(_boolean, pa.bool_(), "BOOLEAN"),
    "timestamp": ColumnType(normalise.to_utc, pa.timestamp("us", tz="UTC"), "TIMESTAMPTZ"),
    "epoch_s": ColumnType(
        lambda v: None if _text(v) is None else normalise.from_epoch(v, "seconds"),
        pa.timestamp("us", tz="UTC"),
        "TIMESTAMPTZ",
    ),
    "epoch_ms": ColumnType(
        lambda v: None if _text(v) is None else normalise.from_epoch(v, "milliseconds"),
        pa.timestamp("us", tz="UTC"),
        "TIMESTAMPTZ",
    ),
    "date": ColumnType(normalise.to_date, pa.date32(), "DATE"),
    "text_list": ColumnType(_text_list, pa.list_(pa.string()), "VARCHAR[]"),
    "json": ColumnType(_json, pa.string(), "VARCHAR"),
}


# The types whose values are instants (what the time checks of check_not_after apply to);
# dates (a planned close date, a due date) may lie ahead.
INSTANT_TYPES = frozenset({"timestamp", "epoch_s", "epoch_ms"})


@dataclass(frozen=True)
class Field:
    """A column of the extract: ``header`` is its name in the export, ``name`` its warehouse name."""

    name: str
    type: str = "text"
    required: bool = False
    header: str | None = None
    description: str = ""
    aliases: tuple[str, ...] = ()  # other headers the same export writes for this column

    @property
    def source_header(self) -> str:
        return self.header or self.name


@dataclass(frozen=True)
class Derived:
    """A column computed from the converted row, e.g. a normalised mobile for identity matching."""

    name: str
    type: str
    compute: Callable[[Mapping[str, Any]], Any]
    description: str = ""


@dataclass(frozen=True)
class TableDef:
    """A warehouse table as (name, Arrow type, SQL type) columns: its DDL and the Arrow schema
    its rows are loaded through come from the one declaration."""

    name: str
    columns: Sequence[tuple[str, pa.DataType, str]]

    @property
    def ddl(self) -> str:
        columns = ",\n  ".join(f'"{name}" {sql}' for name, _, sql in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n  {columns}\n)"

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(name, arrow) for name, arrow, _ in self.columns])


LINEAGE_COLUMNS: Sequence[tuple[str, pa.DataType, str]] = (
    ("_extra", pa.string(), "VARCHAR"),
    ("_source_system", pa.string(), "VARCHAR"),
    ("_source_file", pa.string(), "VARCHAR"),
    ("_source_line", pa.int64(), "BIGINT"),
    ("_row_hash", pa.string(), "VARCHAR"),
    ("_delivery_date", pa.date32(), "DATE"),
    ("_loaded_at", pa.timestamp("us", tz="UTC"), "TIMESTAMPTZ"),
)


@dataclass(frozen=True)
class EntityContract:
    """The contract of one entity of one source (e.g. ``finance`` / ``invoices``)."""

    source: str
    entity: str
    description: str
    fields: Sequence[Field]
    derived: Sequence[Derived] = field(default_factory=tuple)

    @property
    def schema(self) -> str:
        return f"raw_{self.source}"

    @property
    def table(self) -> str:
        return f"{self.schema}.{self.entity}"

    def column_types(self) -> list[tuple[str, pa.DataType, str]]:
        columns = [(f.name, TYPES[f.type].arrow, TYPES[f.type].sql) for f in self.fields]
        columns += [(d.name, TYPES[d.type].arrow, TYPES[d.type].sql) for d in self.derived]
        return columns + list(LINEAGE_COLUMNS)

    def table_def(self) -> TableDef:
        return TableDef(self.table, self.column_types())

    def arrow_schema(self) -> pa.Schema:
        return self.table_def().arrow_schema

    def header_of(self, field_name: str) -> str:
        """The export header of a field, for mapping a vendor's columns onto this contract."""
        for f in self.fields:
            if f.name == field_name:
                return f.source_header
        raise KeyError(f"{self.source}/{self.entity} has no field {field_name!r}")

    def header_aliases(self) -> dict[str, str]:
        return {alias: f.source_header for f in self.fields for alias in f.aliases}

    def missing_required_headers(self, headers: Sequence[str]) -> list[str]:
        present = set(headers)
        return [f.source_header for f in self.fields if f.required and f.source_header not in present]

    def unknown_headers(self, headers: Sequence[str]) -> list[str]:
        known = {f.source_header for f in self.fields}
        return [h for h in headers if h not in known]

    @cached_property
    def _conversions(self) -> tuple[tuple[str, str, Callable[[Any], Any], bool, str], ...]:
        """(name, export header, converter, required, type) of every field, looked up once: per
        row and field, the attribute and type lookups cost as much as many conversions."""
        return tuple((f.name, f.source_header, TYPES[f.type].convert, f.required, f.type) for f in self.fields)

    @cached_property
    def _instants(self) -> tuple[tuple[str, str], ...]:
        """(name, export header) of the fields that hold an instant something happened."""
        return tuple((f.name, f.source_header) for f in self.fields if f.type in INSTANT_TYPES)

    def check_not_after(self, row: Mapping[str, Any], latest: datetime) -> None:
        """Raises RowError when an instant of the converted row is later than ``latest``: an
        extract cannot hold what happened after it was exported, and one such row (a mistyped
        year) would otherwise become the data's as-of instant for every snapshot KPI."""
        for name, header in self._instants:
            value = row[name]
            if value is not None and value > latest:
                raise RowError("timestamp_after_delivery",
                               f"{header}: {value.isoformat()} is later than its delivery allows ({latest.isoformat()})")

    def convert(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Typed row from one raw record keyed by export headers; raises RowError on a breach."""
        row: dict[str, Any] = {}
        for name, header, convert, required, type_name in self._conversions:
            try:
                value = convert(record.get(header))
            except (ValueError, TypeError, InvalidOperation, json.JSONDecodeError) as exc:
                raise RowError(f"invalid_{type_name}", f"{header}: {exc}") from exc
            if required and (value is None or value == []):
                raise RowError("missing_required", f"{header} is empty")
            row[name] = value
        for d in self.derived:
            row[d.name] = d.compute(row)
        return row


def utc_now() -> datetime:
    return normalise.to_utc(datetime.now().astimezone())
