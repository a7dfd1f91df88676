"""Read delivered files through their contracts: typed rows, quarantine entries, per-file counts.

``read_file`` turns one file into rows and quarantine entries; ``collect`` reads every delivery
of an entity in memory-bounded mode for validation. Writing to the warehouse, one delivery at a
time, is ``partition_load``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from fnmatch import fnmatchcase
from pathlib import Path

import pyarrow as pa

from . import normalise
from .contracts import EntityContract, TableDef, utc_now
from .errors import MalformedFileError, RowError
from .readers import ParsedFile, SourceRecord, renamed

QUARANTINE_TABLE = "ingest.quarantine"
QUARANTINE = TableDef(QUARANTINE_TABLE, (
    ("source", pa.string(), "VARCHAR NOT NULL"),
    ("entity", pa.string(), "VARCHAR NOT NULL"),
    ("source_file", pa.string(), "VARCHAR NOT NULL"),
    ("source_line", pa.int64(), "BIGINT"),
    ("reason", pa.string(), "VARCHAR NOT NULL"),
    ("message", pa.string(), "VARCHAR"),
    ("raw_text", pa.string(), "VARCHAR"),
    ("delivery_date", pa.date32(), "DATE"),
    ("loaded_at", pa.timestamp("us", tz="UTC"), "TIMESTAMPTZ NOT NULL"),
))
_DELIVERY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class FileSpec:
    """Which files of a delivery folder hold the entity, how to read them, and who wrote them.

    ``columns`` maps a vendor's export headers onto the contract's field names (see the CRM
    column-mapping files); ``system`` names the exporting system in the ``_source_system``
    lineage column (default: the source itself).
    """

    pattern: str
    read: Callable[[Path], ParsedFile]
    system: str | None = None
    columns: Mapping[str, str] | None = None

    def matches(self, name: str) -> bool:
        """Whether a file of this name is the spec's; text exports may arrive gzip-compressed
        (``Lead_20250701.csv.gz``), which the readers decompress."""
        return fnmatchcase(name, self.pattern) or fnmatchcase(name, self.pattern + ".gz")

    def matching(self, folder: Path) -> list[Path]:
        """The files of a delivery folder this spec reads, by name."""
        return [folder / name for name in file_names(folder) if self.matches(name)]

    def open(self, path: Path, contract: EntityContract) -> ParsedFile:
        renames = contract.header_aliases()
        renames.update({header: contract.header_of(name) for header, name in (self.columns or {}).items()})
        return renamed(self.read(path), renames)


@dataclass
class FileReport:
    """What became of one delivered file: rows read = loaded + quarantined + skipped."""

    file: str
    delivery_date: str
    encoding: str | None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    status: str = "loaded"  # loaded | duplicate | superseded
    rows_skipped: int = 0  # rows of a duplicate or superseded file, not loaded
    replaced_by: str | None = None  # for a duplicate or superseded file: the file loaded instead

    @property
    def duplicate_of(self) -> str | None:
        return self.replaced_by if self.status == "duplicate" else None


@dataclass
class LoadReport:
    table: str
    files: list[FileReport] = field(default_factory=list)
    quarantined_by_reason: Counter[str] = field(default_factory=Counter)
    unknown_columns: set[str] = field(default_factory=set)
    ignored_folders: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def rows_skipped(self) -> int:
        return sum(f.rows_skipped for f in self.files)

    @property
    def duplicate_files(self) -> int:
        return sum(1 for f in self.files if f.duplicate_of)


def file_names(folder: Path) -> list[str]:
    """Names of the files in a folder, sorted; none if it does not exist. One directory read,
    no per-file path objects: the nightly check of what is pending lists every delivery folder,
    a million mails in all at a million customers."""
    try:
        with os.scandir(folder) as entries:
            return sorted(entry.name for entry in entries if entry.is_file())
    except (FileNotFoundError, NotADirectoryError):
        return []


def delivery_folders(source_dir: Path) -> tuple[list[tuple[date, Path]], list[str]]:
    """Dated delivery folders of one source, oldest first, and any folder names that are not dates."""
    if not source_dir.is_dir():
        return [], []
    folders, ignored = [], []
    for child in sorted(source_dir.iterdir()):
        if not child.is_dir():
            continue
        if _DELIVERY_RE.match(child.name):
            folders.append((date.fromisoformat(child.name), child))
        else:
            ignored.append(child.name)
    return folders, ignored


# One encoder for every row: json.dumps with options builds a new encoder per call, a third of
# the cost of hashing a row (the hash of every one of ten million rows at a million customers).
_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str).encode


def _row_hash(record: SourceRecord) -> str:
    """SHA-256 (32 hex digits) of the record as delivered, or of its fields for a mail (see
    ``SourceRecord.text``). Hashing the text it was split from, not a canonical JSON of its fields
    encoded again, took a fifth of the parsing of a CRM task and a third of a chat message's."""
    hashed = record.text if record.text is not None else _CANONICAL_JSON(dict(record.fields or {}))
    return hashlib.sha256(hashed.encode("utf-8")).hexdigest()[:32]


class RowBatch:
    """Rows and quarantine entries collected for one load (rows are only counted when validating).

    Rows are kept as one list per column, in the contract's Arrow schema order: a table is then
    one Arrow array per column. Built from one dict per row (``Table.from_pylist``) the same table
    took as long as reading and converting the rows themselves (a third of parsing CRM tasks).
    """

    def __init__(self, contract: EntityContract, loaded_at: datetime | None, keep_rows: bool = True) -> None:
        # loaded_at may be None while parsing off the writer: the writer stamps its commit time.
        self.contract = contract
        self.loaded_at = loaded_at
        self.keep_rows = keep_rows
        self.schema = contract.arrow_schema()
        # _loaded_at is the same for every row of the batch: made whole when the table is built
        self._stored = [name for name in self.schema.names if name != "_loaded_at"]
        self.columns: dict[str, list] = {name: [] for name in self._stored}
        self._appends = tuple((name, self.columns[name].append) for name in self._stored)
        self.quarantine: list[dict] = []

    def __len__(self) -> int:
        return len(self.columns["_source_line"])

    def add(self, row: Mapping[str, object]) -> None:
        """One converted row with its lineage columns (all but ``_loaded_at``)."""
        for name, append in self._appends:
            append(row[name])

    def truncate(self, length: int) -> None:
        """Forget the rows from ``length`` on (a file that turned out unreadable)."""
        for column in self.columns.values():
            del column[length:]

    def table(self) -> pa.Table:
        """The rows as an Arrow table of the contract's schema."""
        arrays = [pa.array(self.columns[f.name], f.type) if f.name != "_loaded_at" else pa.nulls(len(self), f.type)
                  for f in self.schema]
        return with_loaded_at(pa.Table.from_arrays(arrays, schema=self.schema), self.loaded_at)

    @property
    def rows(self) -> list[dict]:
        """The rows as dicts, column name → value (for a look at a few; loads use ``table``)."""
        names = list(self.columns)
        return [dict(zip(names, values), _loaded_at=self.loaded_at) for values in zip(*self.columns.values())]

    def quarantine_row(self, file: str, line: int | None, error: RowError, raw: str, delivered: date) -> None:
        self.quarantine.append(
            {
                "source": self.contract.source,
                "entity": self.contract.entity,
                "source_file": file,
                "source_line": line,
                "reason": error.reason,
                "message": error.message,
                "raw_text": raw,
                "delivery_date": delivered,
                "loaded_at": self.loaded_at,
            }
        )


def with_loaded_at(rows: pa.Table, loaded_at: datetime | None) -> pa.Table:
    """``rows`` with ``loaded_at`` in every row's ``_loaded_at``."""
    index = rows.schema.get_field_index("_loaded_at")
    field = rows.schema.field(index)
    # One scalar repeated: a list of the same datetime converted one by one took 4 ms for a
    # delivery of 3,200 CRM tasks, in the writer process every worker waits on.
    return rows.set_column(index, field, pa.repeat(pa.scalar(loaded_at, field.type), rows.num_rows))


# An extract delivered on day D (a folder date, Asia/Shanghai) was exported by the end of D; a
# day more absorbs a sender's wrong clock or a time-zone slip (8 hours for UTC read as local).
DELIVERY_CLOCK_TOLERANCE = timedelta(days=1)


def latest_plausible_instant(delivered: date) -> datetime:
    """The latest instant a row of a delivery of ``delivered`` can hold (later ones are quarantined)."""
    end_of_day = datetime.combine(delivered + timedelta(days=1), time(), tzinfo=normalise.SHANGHAI)
    # in UTC, as the rows are: aware datetimes of the same tzinfo compare without offsets
    return (end_of_day + DELIVERY_CLOCK_TOLERANCE).astimezone(timezone.utc)


def read_file(parsed: ParsedFile, rel: str, delivered: date, system: str, batch: RowBatch,
               report: LoadReport) -> FileReport:
    contract = batch.contract
    latest = latest_plausible_instant(delivered)
    file_report = FileReport(rel, delivered.isoformat(), parsed.encoding)
    if parsed.headers is not None:
        missing = contract.missing_required_headers(parsed.headers)
        if missing:
            raise MalformedFileError(
                parsed.path,
                f"missing required column(s) {', '.join(missing)}",
                f"the {contract.source}/{contract.entity} contract needs them; check the export settings",
            )
        report.unknown_columns.update(contract.unknown_headers(parsed.headers))
    known = {f.source_header for f in contract.fields}
    for record in parsed.records:
        file_report.rows_read += 1
        try:
            if record.error is not None:
                raise record.error
            assert record.fields is not None
            row = contract.convert(record.fields)
            contract.check_not_after(row, latest)
        except RowError as error:
            batch.quarantine_row(rel, record.line, error, record.raw_text, delivered)
            report.quarantined_by_reason[error.reason] += 1
            file_report.rows_quarantined += 1
            continue
        extra = {k: v for k, v in record.fields.items() if k not in known}
        if parsed.headers is None:
            report.unknown_columns.update(extra)
        file_report.rows_loaded += 1
        if not batch.keep_rows:
            continue
        row.update(
            _extra=json.dumps(extra, ensure_ascii=False, default=str) if extra else None,
            _source_system=system,
            _source_file=rel,
            _source_line=record.line,
            _row_hash=_row_hash(record),
            _delivery_date=delivered,
        )
        batch.add(row)
    return file_report


def collect(contract: EntityContract, landing_dir: Path, specs: Iterable[FileSpec],
            keep_rows: bool = True) -> tuple[RowBatch, LoadReport]:
    """Read every delivery of the entity; raise MalformedFileError for an unreadable file.

    With ``keep_rows=False`` valid rows are checked and counted but not kept: contract
    validation of any volume in bounded memory.
    """
    batch = RowBatch(contract, utc_now(), keep_rows)
    report = LoadReport(contract.table)
    source_dir = landing_dir / contract.source
    folders, report.ignored_folders = delivery_folders(source_dir)
    seen: dict[str, str] = {}
    for delivered, folder in folders:
        for spec in specs:
            for path in spec.matching(folder):
                rel = str(path.relative_to(landing_dir))
                # A copy is the same file delivered again: same name, same bytes.
                digest = f"{path.name}/{hashlib.sha256(path.read_bytes()).hexdigest()}"
                if digest in seen:
                    report.files.append(
                        FileReport(rel, delivered.isoformat(), None, status="duplicate", replaced_by=seen[digest])
                    )
                    continue
                seen[digest] = rel
                report.files.append(read_file(spec.open(path, contract), rel, delivered,
                                               spec.system or contract.source, batch, report))
    return batch, report
