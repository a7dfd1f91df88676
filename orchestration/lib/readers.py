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
from datetime import datetime, timedelta, timezone
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any

import fast_mail_parser

from .encoding import decode_bytes
from .errors import MalformedFileError, RowError


@dataclass(frozen=True)
class SourceRecord:
    line: int
    fields: Mapping[str, Any] | None
    raw_text: str
    error: RowError | None = None
    # The whole record as delivered (every line of a CSV record, a JSON line or item), of which
    # its row hash is taken; None for a mail, whose raw_text is only its first bytes and whose
    # copies in two mailboxes differ in transport headers: its hash is taken of its fields.
    text: str | None = None


@dataclass
class ParsedFile:
    path: Path
    records: Iterator[SourceRecord]
    headers: list[str] | None = None
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


def flatten(obj: dict[str, Any]) -> dict[str, Any]:
    """Top-level objects to dotted keys (``follow_info.userid``, ``text.content``).

    Only one level is expanded: deeper objects (``external_profile``) stay whole, for a
    ``json`` field, and lists stay values (``tolist``, ``remark_mobiles``). ``obj`` is what
    ``json.loads`` made, whose objects are dicts: asked of every value, ``isinstance`` against
    the ``Mapping`` ABC took 4% of parsing a chat message.
    """
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        if isinstance(value, dict):
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


def ends_inside_quotes(record: str, delimiter: str = ",", quote: str = '"') -> bool:
    """Whether a CSV record's text ends inside a quoted field, as the csv module's default
    (excel) dialect reads it: a field is quoted when it starts with a quote, a doubled quote
    inside it is one quote character, and a quote elsewhere is a plain character."""
    in_quotes = after_quote = False
    at_field_start = True
    for char in record:
        if in_quotes:
            in_quotes, after_quote = char != quote, char == quote
            continue
        if after_quote and char == quote:  # a doubled quote: the field goes on, quoted
            in_quotes, after_quote = True, False
            continue
        after_quote = False
        if at_field_start and char == quote:
            in_quotes, at_field_start = True, False
            continue
        at_field_start = char in (delimiter, "\n", "\r")
    return in_quotes


def read_csv(path: Path) -> ParsedFile:
    """A CSV export → its records, each numbered by the physical line it starts on and carrying
    every line of it (a quoted field may span lines). The file is split once, by the csv
    module's rules: ``str.splitlines`` also breaks at U+2028, U+001C–U+001E and U+0085, which the
    csv module keeps inside a field, so numbering lines by it put another line's text beside a
    record."""
    text, encoding = decode_bytes(file_bytes(path), path)
    # The physical lines the csv module reads, kept until its record is complete.
    consumed: list[str] = []
    read_to_end = False

    def physical_lines() -> Iterator[str]:
        nonlocal read_to_end
        for physical in io.StringIO(text, newline=""):
            consumed.append(physical)
            yield physical
        read_to_end = True

    reader = csv.reader(physical_lines())

    def first_line() -> int:
        """The line the record being read starts on (the csv module counts the lines it read)."""
        return reader.line_num - len(consumed) + 1

    def next_record() -> tuple[int, list[str], str] | None:
        """The next record's first line, values and text, or None at the end of the file."""
        try:
            values = next(reader, None)
        except csv.Error as exc:
            raise MalformedFileError(
                path, f"the record from line {first_line()} cannot be split: {exc}",
                "a quote left open takes every line after it into one field; check the export's quoting",
            ) from exc
        if values is None:
            return None
        first, whole = first_line(), "".join(consumed).rstrip("\r\n")
        # The csv module ends a field left inside quotes at the end of the file without a word:
        # below its field limit the rest of the file would be one value of one record (a valid
        # one, if that was its last column), the records in it lost without a trace.
        if read_to_end and ends_inside_quotes(whole):
            raise MalformedFileError(
                path, f"the record from line {first} cannot be split: a quoted field is never closed",
                "a quote left open takes every line after it into one field; check the export's quoting",
            )
        consumed.clear()
        return first, values, whole

    header = next_record()
    if header is None or not any(h.strip() for h in header[1]):
        raise MalformedFileError(path, "empty file: no header row")
    headers = [h.strip() for h in header[1]]

    def records() -> Iterator[SourceRecord]:
        while (record := next_record()) is not None:
            line, values, whole = record
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(headers):
                error = RowError(
                    "bad_column_count", f"{len(values)} values for {len(headers)} columns"
                )
                yield SourceRecord(line, None, whole, error, whole)
                continue
            yield SourceRecord(line, dict(zip(headers, values)), whole, None, whole)

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
            raw = json.dumps(fields, ensure_ascii=False, default=str)
            yield SourceRecord(number, fields, raw, None, raw)
        workbook.close()

    return ParsedFile(path, records(), headers, "xlsx")


def _load_json(path: Path) -> tuple[str, str]:
    return decode_bytes(file_bytes(path), path)


def json_lines(text: str) -> list[str]:
    """The lines of a JSON-lines text, split where the format splits them: at \\n (a \\r before
    it dropped). A JSON string may hold U+2028 or U+0085 unescaped, where ``str.splitlines``
    would break the line (and the record) in two."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def read_json_pages(path: Path, list_key: str) -> ParsedFile:
    """API response pages (one JSON object per file, or JSON lines of pages) → their list items."""
    text, encoding = _load_json(path)
    stripped = text.strip()
    if not stripped:
        raise MalformedFileError(path, "empty file")
    if stripped.startswith("{") and "\n{" not in stripped:
        numbered = [(0, text)]  # one page: a JSON error gives its line in the file itself
    else:
        numbered = [(number, line) for number, line in enumerate(json_lines(text), start=1) if line.strip()]
    pages = []
    for number, line in numbered:
        try:
            pages.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise MalformedFileError(
                path, f"invalid JSON at line {number or exc.lineno} column {exc.colno}: {exc.msg}"
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
                if not isinstance(item, dict):
                    yield SourceRecord(number, None, raw, RowError("invalid_json", "item is not an object"), raw)
                    continue
                yield SourceRecord(number, flatten(item), raw, None, raw)

    return ParsedFile(path, records(), None, encoding)


def read_json_lines(path: Path) -> ParsedFile:
    text, encoding = _load_json(path)

    def records() -> Iterator[SourceRecord]:
        for number, line in enumerate(json_lines(text), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield SourceRecord(number, None, line, RowError("invalid_json", exc.msg))
                continue
            if not isinstance(obj, dict):
                yield SourceRecord(number, None, line, RowError("invalid_json", "line is not an object"))
                continue
            yield SourceRecord(number, flatten(obj), line, None, line)

    return ParsedFile(path, records(), None, encoding)


# Mail clients label GBK text as gb2312; GB18030 decodes all of it.
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}
_CHARSET_RE = re.compile(r'charset\s*=\s*"?([^";\s]+)', re.IGNORECASE)
_TAG_RE = re.compile(r"<[^>]+>")


def _headers(part: fast_mail_parser.PyLazyMimePart) -> dict[str, list[str]]:
    """A MIME part's headers by lower-cased name, every value in wire order."""
    headers: dict[str, list[str]] = {}
    for name, values in part.headers.items():
        headers.setdefault(name.lower(), []).extend(values)
    return headers


def _first(headers: Mapping[str, list[str]], name: str) -> str:
    values = headers.get(name)
    return values[0] if values else ""


# One mailbox as most address headers hold it: a bare address, or a plain name (words of no
# special character, single spaces) and an address in angle brackets.
_ADDRESS = r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
_NAME_WORD = r"[^\s\"(),.:;<>@\[\]\\]+"
_PLAIN_MAILBOX_RE = re.compile(rf"\s*(?:({_NAME_WORD}(?: {_NAME_WORD})*)\s*<({_ADDRESS})>|({_ADDRESS}))\s*")


def _mailboxes(values: list[str]) -> list[tuple[str, str]]:
    """(name, address) of every mailbox in the header ``values``, as ``getaddresses`` reads them.

    Plain mailboxes are read by one regular expression, the rest (quotes, comments, groups,
    routes) by ``getaddresses``: it took a quarter of the time of reading a message.
    """
    pairs = []
    for value in values:
        for item in value.split(","):
            plain = _PLAIN_MAILBOX_RE.fullmatch(item)
            if plain is None:
                return getaddresses(values)
            pairs.append((plain[1] or "", plain[2] or plain[3]))
    return pairs


def _decode_part(payload: bytes, headers: Mapping[str, list[str]]) -> str:
    """A text part's bytes in its declared charset (UTF-8 when it declares none, as 8-bit
    Chinese mail servers send it); an unknown or wrong label falls back to detection."""
    declared = _CHARSET_RE.search(_first(headers, "content-type"))
    charset = declared.group(1).lower() if declared else "utf-8"
    charset = _CHARSET_ALIASES.get(charset, charset)
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return decode_bytes(payload, "<mail part>")[0]


def _body_and_attachments(root: fast_mail_parser.PyLazyMimePart) -> tuple[str, list[dict[str, Any]]]:
    """The text/plain parts (else the text of the text/html parts) and the attachments' name,
    type and size. A part whose transfer encoding is corrupt is left out of the body, or listed
    with its encoded size and the error: the message's headers still load (they date the
    exchange and name its parties)."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[dict[str, Any]] = []
    for part in fast_mail_parser.walk(root):
        if part.children or part.is_message:  # a container; its parts come next in the walk
            continue
        try:
            payload, error = part.content or b"", None
        except fast_mail_parser.DecodeError as exc:
            payload, error = None, str(exc)
        if (part.disposition or "").lower() == "attachment" or part.filename:
            attachment = {"name": part.filename or "", "type": part.content_type}
            attachments.append({**attachment, "size": len(payload)} if error is None
                               else {**attachment, "size": part.encoded_size, "error": error})
        elif payload is not None and part.content_type == "text/plain":
            plain.append(_decode_part(payload, _headers(part)))
        elif payload is not None and part.content_type == "text/html":
            html.append(_TAG_RE.sub(" ", _decode_part(payload, _headers(part))))
    body = "\n".join(plain) if plain else "\n".join(html)
    return body.strip(), attachments


_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
# The form nearly every mail's Date header takes: an optional weekday, day, month, four-digit year,
# time with seconds, a numeric zone.
_PLAIN_DATE_RE = re.compile(
    rf"(?:[A-Za-z]{{3}}, )?(\d{{1,2}}) ({'|'.join(_MONTHS)}) (\d{{4}}) "
    r"(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})", re.ASCII)


def _plain_rfc2822(value: str) -> datetime | None:
    """The instant of a Date header in the plain form, as ``parsedate_to_datetime`` reads it (its
    pure-Python tokenising was a twelfth of reading a mail); None for any other form, left to it.
    ``-0000`` (a zone unknown, read as naive) and years below 100 are left to it too."""
    plain = _PLAIN_DATE_RE.fullmatch(value)
    if plain is None or plain.group(7, 8, 9) == ("-", "00", "00") or plain[3] < "0100":
        return None  # a zone unknown, or a year the stdlib reads as two digits (0099 is 1999)
    day, month, year, hour, minute, second, sign, zone_hours, zone_minutes = plain.groups()
    offset = int(zone_hours) * 3600 + int(zone_minutes) * 60
    try:
        return datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second),
                        tzinfo=timezone(timedelta(seconds=-offset if sign == "-" else offset)))
    except ValueError:
        return None


def _rfc2822_to_iso(value: str | None) -> str | None:
    if not value:
        return None
    plain = _plain_rfc2822(value)
    if plain is not None:
        return plain.isoformat()
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return value  # left as delivered: the contract's timestamp check quarantines it


def _invalid_mime(data: bytes, number: int, problem: Exception) -> SourceRecord:
    return SourceRecord(number, None, data[:2000].decode("latin-1"), RowError("invalid_mime", str(problem)))


def _mail_record(root: fast_mail_parser.PyLazyMimePart, data: bytes, number: int) -> SourceRecord:
    """One parsed message (the root of its MIME tree) as a record keyed by its header names.

    The parser has decoded the headers' encoded words (``=?GB2312?B?…?=``, ``=?gbk?Q?…?=``,
    GBK text labelled gb2312 included); addresses are split from the decoded values.
    """
    headers = _headers(root)

    def addresses(header: str) -> list[str]:
        return [addr for _, addr in _mailboxes(headers.get(header, [])) if addr]

    try:
        body, attachments = _body_and_attachments(root)
        from_name, from_addr = (_mailboxes([_first(headers, "from")]) or [("", "")])[0]
        fields = {
            "Message-ID": _first(headers, "message-id").strip(),
            "Date": _rfc2822_to_iso(_first(headers, "date") or None),
            "From": from_addr,
            "From-Name": from_name,
            "To": addresses("to"),
            "Cc": addresses("cc"),
            "Subject": _first(headers, "subject"),
            "In-Reply-To": _first(headers, "in-reply-to").strip(),
            "References": _first(headers, "references").split(),
            "Body": body,
            "Attachments": attachments,
        }
    except Exception as exc:  # a broken MIME part must not stop the other messages
        return _invalid_mime(data, number, exc)
    return SourceRecord(number, fields, data[:2000].decode("utf-8", errors="replace"))


def _parsed_mail(data: bytes, number: int, path: Path | None = None) -> SourceRecord:
    """One message's bytes as a record; a message the MIME parser rejects is quarantined.
    Given the ``path`` of a one-message file, bytes without a single header fail the file:
    that is not a message at all."""
    try:
        root = fast_mail_parser.parse_email_tree(data, mode="lazy")
    except fast_mail_parser.ParseError as exc:
        return _invalid_mime(data, number, exc)
    if path is not None and not root.headers:
        raise MalformedFileError(path, "no RFC 5322 headers found")
    return _mail_record(root, data, number)


def read_eml(path: Path) -> ParsedFile:
    """One RFC 5322 message (headers with encoded words, MIME parts in any charset)."""
    data = file_bytes(path)
    if not data.strip():
        raise MalformedFileError(path, "empty message file")
    return ParsedFile(path, iter([_parsed_mail(data, 1, path)]), None, "rfc5322")


# A "From " line starts a message (mboxo/mboxrd: a body's own are quoted as ">From ").
_MBOX_SEPARATOR_RE = re.compile(rb"^From ", re.MULTILINE)


def mbox_messages(data: bytes) -> Iterator[bytes]:
    """The messages of an mbox file's bytes, without their "From " lines, as the standard
    library's ``mailbox.mbox`` splits them (its table of contents is built a line at a time in
    Python: a tenth of reading a mailbox's mail). The blank line before a separator ends the
    previous message, not its content; a separator without one still starts a message."""
    starts = [match.start() for match in _MBOX_SEPARATOR_RE.finditer(data)]
    for index, start in enumerate(starts):
        stop = starts[index + 1] if index + 1 < len(starts) else len(data)
        if data[stop - 2:stop] == b"\n\n":  # a blank last line is the separator's, not the message's
            stop -= 1
        first_line_end = data.find(b"\n", start, stop)
        yield data[first_line_end + 1 if first_line_end >= 0 else stop:stop]


def read_mbox(path: Path) -> ParsedFile:
    """An mbox mailbox; each message is a record numbered by its position in the file."""
    data = path.read_bytes()
    if not data.startswith(b"From "):
        raise MalformedFileError(path, "not an mbox file: it does not start with a 'From ' separator line")

    def records() -> Iterator[SourceRecord]:
        for number, message in enumerate(mbox_messages(data), start=1):
            yield _parsed_mail(message, number)

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
                yield SourceRecord(record.line, fields, record.raw_text, record.error, record.text)

    headers = None if parsed.headers is None else [renames.get(h, h) for h in parsed.headers]
    return ParsedFile(parsed.path, records(), headers, parsed.encoding, parsed.notes)


READERS = {
    ".csv": read_csv,
    ".xlsx": read_xlsx,
    ".jsonl": read_json_lines,
    ".eml": read_eml,
    ".mbox": read_mbox,
}
