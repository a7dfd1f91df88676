"""Decode exported text files whatever encoding the source system chose.

Chinese finance and CRM software very often writes GBK/GB18030 without a BOM, mail and APIs
write UTF-8 (sometimes with a BOM). UTF-8 is tried strictly first because a strict UTF-8 decode
of non-UTF-8 bytes almost never succeeds; only then is charset-normalizer asked to choose among
the encodings these systems really use.
"""

from __future__ import annotations

from pathlib import Path

from charset_normalizer import from_bytes

from .errors import MalformedFileError

# GB18030 is a superset of GBK and GB2312, so decoding "GBK" files with it loses nothing.
CANDIDATE_ENCODINGS = ["utf_8", "gb18030", "big5", "utf_16"]


def decode_bytes(data: bytes, path: Path | str) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise MalformedFileError when no candidate fits."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise MalformedFileError(path, "binary content (NUL bytes), not a text export")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data, cp_isolation=CANDIDATE_ENCODINGS).best()
    if best is None:
        raise MalformedFileError(
            path,
            "cannot be decoded as UTF-8, GBK/GB18030, Big5 or UTF-16",
            "re-export the file as UTF-8 or GBK",
        )
    encoding = "gb18030" if best.encoding in {"gb2312", "gbk", "gb18030"} else best.encoding
    return data.decode(encoding), encoding
