"""Write generated records into delivery folders, streaming, with bounded memory.

Records arrive in customer order, not in time order, so any day's files may grow at any time.
Each file buffers in memory; when all buffers together pass ``buffer_bytes`` they are appended
to disk and emptied. Memory therefore stays bounded whatever the number of customers, and the
bytes written depend only on the order of ``add`` calls, which keeps output deterministic.

A record of activity day *d* lands in the delivery folder *d + 1* (the nightly export after
midnight), under ``<root>/<source>/<YYYY-MM-DD>/``. ``add`` returns the file's path relative to
``root`` and the record's line (CSV/xlsx: physical row incl. the header; JSON lines: line;
API pages: item ordinal; mbox: message ordinal; .eml: 1) — the same numbering the readers use.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

_FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
_CORE_TIMES_RE = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


@dataclass(frozen=True)
class FileFormat:
    """How one kind of export file is written."""

    kind: str  # csv | xlsx | jsonl | json_pages | mbox | eml
    header: tuple[str, ...] = ()
    encoding: str = "utf-8"  # csv only: utf-8, utf-8-sig, gbk, gb18030
    list_key: str = ""  # json_pages only
    numeric_columns: tuple[str, ...] = ()  # xlsx only: written as numbers, as finance exports do

    @property
    def extension(self) -> str:
        return {"csv": ".csv", "xlsx": ".xlsx", "jsonl": ".jsonl", "json_pages": ".jsonl",
                "mbox": ".mbox", "eml": ".eml"}[self.kind]


class _Buffer:
    def __init__(self, fmt: FileFormat) -> None:
        self.fmt = fmt
        self.text = io.StringIO()
        self.writer = csv.writer(self.text, lineterminator="\r\n") if fmt.kind in {"csv", "xlsx"} else None
        self.items: list[str] = []
        self.messages: list[bytes] = []
        self.count = 0  # records added over the file's whole life
        self.pages = 0
        self.size = 0


def delivery_date(activity_day: date) -> date:
    return activity_day + timedelta(days=1)


class DeliverySink:
    """Appends records to delivery files; see the module docstring for the layout."""

    def __init__(self, root: Path, buffer_bytes: int = 64 * 1024 * 1024) -> None:
        self.root = root
        self.buffer_bytes = buffer_bytes
        self._buffers: dict[str, _Buffer] = {}  # keyed by path relative to root
        self._created: set[str] = set()
        self._xlsx: dict[str, FileFormat] = {}
        self._folders: dict[date, str] = {}
        self._buffered = 0

    def relative_path(self, source: str, activity_day: date, stem: str, fmt: FileFormat) -> str:
        folder = self._folders.get(activity_day)
        if folder is None:
            folder = self._folders[activity_day] = delivery_date(activity_day).isoformat()
        return f"{source}/{folder}/{stem}{fmt.extension}"

    def add(self, source: str, activity_day: date, stem: str, fmt: FileFormat, record: Any) -> tuple[str, int]:
        """Queue one record (CSV: list of values; JSON kinds: dict; mail kinds: bytes)."""
        rel = self.relative_path(source, activity_day, stem, fmt)
        if fmt.kind == "eml":
            self._write_whole(rel, record)
            return rel, 1
        buffer = self._buffers.get(rel)
        if buffer is None:
            buffer = self._buffers[rel] = _Buffer(fmt)
            if rel not in self._created and fmt.kind in {"csv", "xlsx"}:
                buffer.writer.writerow(fmt.header)
            if fmt.kind == "xlsx":
                self._xlsx[rel] = fmt
        buffer.count += 1
        before = buffer.size
        if buffer.writer is not None:
            buffer.writer.writerow(record)
            buffer.size = buffer.text.tell()
        elif fmt.kind == "mbox":
            buffer.messages.append(record)
            buffer.size += len(record)
        else:
            # A str is written as it is: the generator's way of writing a deliberately broken line.
            text = record if isinstance(record, str) else json.dumps(record, ensure_ascii=False, separators=(",", ":"))
            buffer.items.append(text)
            buffer.size += len(text)
        self._buffered += buffer.size - before
        line = buffer.count + 1 if fmt.kind in {"csv", "xlsx"} else buffer.count
        if self._buffered > self.buffer_bytes:
            self.flush()
        return rel, line

    def _write_whole(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self._created.add(rel)

    def _encoded(self, rel: str, buffer: _Buffer) -> bytes:
        fmt = buffer.fmt
        if buffer.writer is not None:
            text = buffer.text.getvalue()
            buffer.text.seek(0)
            buffer.text.truncate()
            if fmt.kind == "xlsx":
                return text.encode("utf-8")  # staged as CSV, converted on close
            if fmt.encoding == "utf-8-sig":
                return (b"\xef\xbb\xbf" if rel not in self._created else b"") + text.encode("utf-8")
            return text.encode(fmt.encoding)
        if fmt.kind == "mbox":
            data = b"".join(buffer.messages)
            buffer.messages.clear()
            return data
        if fmt.kind == "json_pages":
            lines = []
            for start in range(0, len(buffer.items), 100):
                buffer.pages += 1
                lines.append(
                    '{"errcode":0,"errmsg":"ok","%s":[%s],"next_cursor":"%s"}\n'
                    % (fmt.list_key, ",".join(buffer.items[start:start + 100]),
                       f"{Path(rel).stem}-{buffer.pages:05d}")
                )
            buffer.items.clear()
            return "".join(lines).encode("utf-8")
        data = "".join(item + "\n" for item in buffer.items).encode("utf-8")
        buffer.items.clear()
        return data

    def _staging_path(self, rel: str) -> Path:
        path = self.root / rel
        return path.with_name(f".{path.name}.csv") if rel in self._xlsx else path

    def flush(self) -> None:
        for rel, buffer in self._buffers.items():
            if buffer.size == 0 and rel in self._created:
                continue
            data = self._encoded(rel, buffer)
            target = self._staging_path(rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("ab") as handle:
                handle.write(data)
            self._created.add(rel)
            buffer.size = 0
        self._buffered = 0

    def close(self) -> None:
        """Flush everything and turn staged xlsx sheets into workbooks."""
        self.flush()
        for rel, fmt in sorted(self._xlsx.items()):
            staged = self._staging_path(rel)
            write_xlsx(self.root / rel, staged.read_text(encoding="utf-8"), fmt.numeric_columns)
            staged.unlink()
        self._buffers.clear()


def write_xlsx(path: Path, csv_text: str, numeric_columns: Sequence[str] = ()) -> None:
    """One-sheet workbook from CSV text, byte-identical for identical input."""
    from openpyxl import Workbook

    rows = csv.reader(io.StringIO(csv_text, newline=""))
    header = next(rows)
    numeric = {i for i, name in enumerate(header) if name in set(numeric_columns)}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    sheet.append(header)
    for values in rows:
        sheet.append([_number(v) if i in numeric else v for i, v in enumerate(values)])
    workbook.save(path)
    _make_zip_deterministic(path)


def _number(value: str) -> float | int | str:
    try:
        return int(value) if value.lstrip("-").isdigit() else float(value)
    except ValueError:
        return value  # an injected bad value stays text, as a clerk would have typed it


def _make_zip_deterministic(path: Path) -> None:
    """openpyxl stamps the save time into docProps/core.xml and every zip entry; fix both."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _CORE_TIMES_RE.sub(rb"\g<1>2020-01-01T00:00:00Z\g<2>", data)
            target.writestr(zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME), data,
                            compress_type=zipfile.ZIP_DEFLATED)
