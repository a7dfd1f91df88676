"""Readers for the file formats the four source systems export.

Every reader turns one file into a ``ParsedFile``: the headers it declares (tabular formats) and
a stream of ``SourceRecord`` — the record's line (CSV/JSON lines) or ordinal (JSON pages, xlsx
rows, one .eml = record 1), its fields keyed by the export's own header names (nested JSON is
flattened to dotted names such as ``follow_info.userid``), and its raw text for quarantine.
A record that cannot even be split into fields carries a ``RowError`` instead of fields.
A file that cannot be read at all raises ``MalformedFileError``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any

from .encoding import decode_bytes
from .errors import MalformedFileError, RowError


@dataclass(frozen=True)
class SourceRecord:
    line: int
    fields: Mapping[str, Any] | None
    raw_text: str
    error: RowError | None = None


@dataclass
class ParsedFile:
    path: Path
    records: Iterator[SourceRecord]
    headers: list[str] | None = None
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


def flatten(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level objects to dotted keys (``follow_info.userid``, ``text.content``).

    Only one level is expanded: deeper objects (``external_profile``) stay whole, for a
    ``json`` field, and lists stay values (``tolist``, ``remark_mobiles``).
    """
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        if isinstance(value, Mapping):
            flat.update({f"{key}.{inner}": v for inner, v in value.items()})
        else:
            flat[key] = value
    return flat


def file_bytes(path: Path) -> bytes:
    """The file's content; a ``.gz`` file is decompressed, and a truncated or corrupt one is
    reported with the byte offset where its compressed stream breaks."""
    data = path.read_bytes()
    if path.suffix.lower() != ".gz":
        return data
    decompressor = zlib.decompressobj(wbits=31)  # gzip framing
    try:
        content = decompressor.decompress(data)
    except zlib.error as exc:
        raise MalformedFileError(path, f"corrupt gzip data ({exc})",
                                 "ask the source system to export the file again") from exc
    if not decompressor.eof:
        raise MalformedFileError(
            path, f"truncated gzip: the compressed stream ends at byte {len(data)} before its end marker",
            "the transfer was cut off; ask the source system to deliver the file again")
    return content


def read_csv(path: Path) -> ParsedFile:
    text, encoding = decode_bytes(file_bytes(path), path)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise MalformedFileError(path, "empty file: no header row")
    reader = csv.reader(io.StringIO(text, newline=""))
    headers = [h.strip() for h in next(reader)]

    def records() -> Iterator[SourceRecord]:
        for values in reader:
            line = reader.line_num
            raw = lines[line - 1] if line - 1 < len(lines) else ",".join(values)
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(headers):
                error = RowError(
                    "bad_column_count", f"{len(values)} values for {len(headers)} columns"
                )
                yield SourceRecord(line, None, raw, error)
                continue
            yield SourceRecord(line, dict(zip(headers, values)), raw)

    return ParsedFile(path, records(), headers, encoding)


def read_xlsx(path: Path) -> ParsedFile:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/ValueError variants
        raise MalformedFileError(path, f"not a readable xlsx workbook: {exc}") from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header_row = next(rows, None)
    if not header_row:
        raise MalformedFileError(path, "empty workbook: no header row")
    headers = [str(h).strip() if h is not None else "" for h in header_row]

    def records() -> Iterator[SourceRecord]:
        for number, values in enumerate(rows, start=2):
            if values is None or all(v is None for v in values):
                continue
            fields = {h: ("" if v is None else v) for h, v in zip(headers, values)}
            yield SourceRecord(number, fields, json.dumps(fields, ensure_ascii=False, default=str))
        workbook.close()

    return ParsedFile(path, records(), headers, "xlsx")


def _load_json(path: Path) -> tuple[str, str]:
    return decode_bytes(file_bytes(path), path)


def read_json_pages(path: Path, list_key: str) -> ParsedFile:
    """API response pages (one JSON object per file, or JSON lines of pages) → their list items."""
    text, encoding = _load_json(path)
    stripped = text.strip()
    if not stripped:
        raise MalformedFileError(path, "empty file")
    try:
        pages = [json.loads(stripped)] if stripped.startswith("{") and "\n{" not in stripped else [
            json.loads(line) for line in stripped.splitlines() if line.strip()
        ]
    except json.JSONDecodeError as exc:
        raise MalformedFileError(
            path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    for page in pages:
        if not isinstance(page, Mapping) or list_key not in page:
            raise MalformedFileError(path, f"not an API response page: no '{list_key}' list")
        if page.get("errcode", 0) != 0:
            raise MalformedFileError(
                path, f"API error page errcode={page.get('errcode')} errmsg={page.get('errmsg')!r}"
            )

    def records() -> Iterator[SourceRecord]:
        number = 0
        for page in pages:
            for item in page[list_key]:
                number += 1
                raw = json.dumps(item, ensure_ascii=False)
                if not isinstance(item, Mapping):
                    yield SourceRecord(number, None, raw, RowError("invalid_json", "item is not an object"))
                    continue
                yield SourceRecord(number, flatten(item), raw)

    return ParsedFile(path, records(), None, encoding)


def read_json_lines(path: Path) -> ParsedFile:
    text, encoding = _load_json(path)

    def records() -> Iterator[SourceRecord]:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield SourceRecord(number, None, line, RowError("invalid_json", exc.msg))
                continue
            if not isinstance(obj, Mapping):
                yield SourceRecord(number, None, line, RowError("invalid_json", "line is not an object"))
                continue
            yield SourceRecord(number, flatten(obj), line)

    return ParsedFile(path, records(), None, encoding)


# Mail clients label GBK text as gb2312; GB18030 decodes all of it.
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}
_TAG_RE = re.compile(r"<[^>]+>")


def _header_text(value: Any) -> str:
    """A header with its encoded words (``=?GB2312?B?…?=``, ``=?gbk?Q?…?=``) decoded.

    Decoded here rather than by the stdlib's header registry: the same result for these headers
    at a fraction of the cost, and GBK text labelled gb2312 still decodes (see _CHARSET_ALIASES).
    """
    if value is None:
        return ""
    parts = []
    for chunk, charset in decode_header(str(value)):
        if isinstance(chunk, str):
            parts.append(chunk)
            continue
        codec = (charset or "ascii").lower()
        codec = _CHARSET_ALIASES.get(codec, codec)
        try:
            parts.append(chunk.decode(codec))
        except (LookupError, UnicodeDecodeError):
            parts.append(chunk.decode("utf-8", errors="replace"))
    return "".join(parts)


def _decode_part(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = (part.get_content_charset() or "utf-8").lower()
    charset = _CHARSET_ALIASES.get(charset, charset)
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return decode_bytes(payload, "<mail part>")[0]


def _body_and_attachments(message: Message) -> tuple[str, list[dict[str, Any]]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[dict[str, Any]] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment" or part.get_filename():
            payload = part.get_payload(decode=True) or b""
            attachments.append(
                {"name": _header_text(part.get_filename()), "type": part.get_content_type(), "size": len(payload)}
            )
        elif part.get_content_type() == "text/plain":
            plain.append(_decode_part(part))
        elif part.get_content_type() == "text/html":
            html.append(_TAG_RE.sub(" ", _decode_part(part)))
    body = "\n".join(plain) if plain else "\n".join(html)
    return body.strip(), attachments


def _rfc2822_to_iso(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return value  # left as delivered: the contract's timestamp check quarantines it


def _mail_record(message: Message, data: bytes, number: int) -> SourceRecord:
    """One parsed message as a record keyed by its header names."""

    def addresses(header: str) -> list[str]:
        return [addr for _, addr in getaddresses([_header_text(v) for v in message.get_all(header, [])]) if addr]

    try:
        body, attachments = _body_and_attachments(message)
        from_name, from_addr = (getaddresses([_header_text(message.get("From"))]) or [("", "")])[0]
        fields = {
            "Message-ID": str(message.get("Message-ID", "")).strip(),
            "Date": _rfc2822_to_iso(str(message.get("Date", "")) or None),
            "From": from_addr,
            "From-Name": from_name,
            "To": addresses("To"),
            "Cc": addresses("Cc"),
            "Subject": _header_text(message.get("Subject")),
            "In-Reply-To": str(message.get("In-Reply-To", "")).strip(),
            "References": str(message.get("References", "")).split(),
            "Body": body,
            "Attachments": attachments,
        }
    except Exception as exc:  # a broken MIME part must not stop the other messages
        return SourceRecord(number, None, data[:2000].decode("latin-1"), RowError("invalid_mime", str(exc)))
    return SourceRecord(number, fields, data[:2000].decode("utf-8", errors="replace"))


def read_eml(path: Path) -> ParsedFile:
    """One RFC 5322 message (headers with encoded words, MIME parts in any charset)."""
    data = file_bytes(path)
    if not data.strip():
        raise MalformedFileError(path, "empty message file")
    message = BytesParser(policy=policy.compat32).parsebytes(data)
    if not message.keys():
        raise MalformedFileError(path, "no RFC 5322 headers found")
    return ParsedFile(path, iter([_mail_record(message, data, 1)]), None, "rfc5322")


def read_mbox(path: Path) -> ParsedFile:
    """An mbox mailbox; each message is a record numbered by its position in the file."""
    import mailbox

    with path.open("rb") as handle:
        starts_with_separator = handle.read(5) == b"From "
    if not starts_with_separator:
        raise MalformedFileError(path, "not an mbox file: it does not start with a 'From ' separator line")
    box = mailbox.mbox(path, create=False)

    def records() -> Iterator[SourceRecord]:
        try:
            for number, key in enumerate(box.iterkeys(), start=1):
                data = box.get_bytes(key)
                message = BytesParser(policy=policy.compat32).parsebytes(data)
                yield _mail_record(message, data, number)
        finally:
            box.close()

    return ParsedFile(path, records(), None, "mbox")


def renamed(parsed: ParsedFile, renames: Mapping[str, str]) -> ParsedFile:
    """The same file with its columns renamed (a vendor's headers → the contract's headers)."""
    if not renames:
        return parsed

    def records() -> Iterator[SourceRecord]:
        for record in parsed.records:
            if record.fields is None:
                yield record
            else:
                fields = {renames.get(k, k): v for k, v in record.fields.items()}
                yield SourceRecord(record.line, fields, record.raw_text, record.error)

    headers = None if parsed.headers is None else [renames.get(h, h) for h in parsed.headers]
    return ParsedFile(parsed.path, records(), headers, parsed.encoding, parsed.notes)


READERS = {
    ".csv": read_csv,
    ".xlsx": read_xlsx,
    ".jsonl": read_json_lines,
    ".eml": read_eml,
    ".mbox": read_mbox,
}
