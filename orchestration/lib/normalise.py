"""Normalisation of identity keys and timestamps, shared by every source.

Each function returns ``None`` for a value that cannot serve as a key, so callers never join on
junk. Timestamps become timezone-aware UTC; a source value without an offset is read in the
source's local zone (Asia/Shanghai unless told otherwise).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timezone
from email.utils import parseaddr
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers

SHANGHAI = ZoneInfo("Asia/Shanghai")

# phonenumbers compiles its metadata patterns through re's cache (512 entries). Parsing mail
# compiles a pattern per multipart boundary, which pushed them out: every mobile check then
# compiled them again. The library's own cache keeps them (3% of parsing mail and WeCom contacts).
phonenumbers.enable_pattern_cache()

_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


# A mobile as people and forms write it: eleven digits from 1, grouped 3-4-4 by a space or a
# hyphen or not at all, after an optional +86 or 0086. Anything else goes through phonenumbers' parser.
_PLAIN_CN_MOBILE_RE = re.compile(r"(?:(?:\+|00)86[ -]?)?(1\d\d)[ -]?(\d{4})[ -]?(\d{4})", re.ASCII)


# The same mobiles come back in every version of a lead (10% of parsing CRM leads); typed, so
# that 13800138000 and 13800138000.0 (an xlsx cell) are not taken for one another.
@lru_cache(maxsize=1 << 16, typed=True)
def mobile_e164(raw: str | None, region: str = "CN") -> str | None:
    """A mobile number in E.164 (``+8613800138000``), or None if it is not a valid mobile.

    Full-width digits and separators (``１３８-００１３-８０００``) are folded by NFKC first;
    phonenumbers then copes with spaces, dashes, brackets and the ``+86``/``0086`` prefixes.
    """
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text:
        return None
    plain = _PLAIN_CN_MOBILE_RE.fullmatch(text) if region == "CN" else None
    if plain is not None:
        return _plain_cn_mobile("".join(plain.groups()))
    return _parsed_mobile(text, region)


def _plain_cn_mobile(national: str) -> str | None:
    """The plain form's verdict without the parser (two thirds of the cost of a mobile): for
    eleven digits from 1 the parser yields exactly this number. The one thing it may strip, a
    carrier prefix (11xx, 12xx, 179xx), leaves too few digits for a mobile, and no mobile starts
    with those digits either, so both ways the answer is None. Validity and type are still
    phonenumbers' own (tests/test_normalise.py compares both paths on every prefix)."""
    number = phonenumbers.PhoneNumber(country_code=86, national_number=int(national))
    return "+86" + national if phonenumbers.number_type(number) in _MOBILE_TYPES else None


def _parsed_mobile(text: str, region: str) -> str | None:
    """Any other way of writing a number, through phonenumbers' parser."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    # number_type is UNKNOWN for an invalid number, so a mobile type is also a valid number: a
    # separate is_valid_number would match the same patterns again (a third of parsing leads).
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# An address with nothing for parseaddr to strip: dot-separated atoms on both sides of one @.
_BARE_EMAIL_RE = re.compile(r"^[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def email_address(raw: str | None) -> str | None:
    """The bare address of ``raw`` (``"Name" <A@B.cn>`` → ``a@b.cn``), trimmed and lower-cased."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    # Most values already are bare addresses (the mail reader has parsed the headers): parseaddr
    # would return them unchanged, at a tenth of the mail parsing time.
    if _BARE_EMAIL_RE.match(text):
        return text.lower()
    _, address = parseaddr(text)
    address = address.strip().lower()
    return address if _EMAIL_RE.match(address) else None


_DIGIT_RE = re.compile(r"\d")
_MOBILE_DIGITS = 11


def mobiles_in_text(text: str | None, region: str = "CN") -> list[str]:
    """Mobiles written in free text (an e-mail signature, a chat message), in E.164, deduplicated.

    phonenumbers' matcher finds the candidates; only valid mobiles are kept, so dates, amounts
    and order numbers in the text do not become identity keys.
    """
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text)
    # The matcher is costly (it compiles regexes past re's cache) and most messages carry no
    # number: a mobile has 11 digits, so a text with fewer digits cannot hold one.
    if len(_DIGIT_RE.findall(text)) < _MOBILE_DIGITS:
        return []
    found: list[str] = []
    for match in phonenumbers.PhoneNumberMatcher(text, region):
        number = match.number
        if phonenumbers.number_type(number) in _MOBILE_TYPES:
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if e164 not in found:
                found.append(e164)
    return found


_EMAIL_IN_TEXT_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def emails_in_text(text: str | None) -> list[str]:
    """E-mail addresses written in free text, normalised, deduplicated."""
    if not text:
        return []
    found: list[str] = []
    for candidate in _EMAIL_IN_TEXT_RE.findall(unicodedata.normalize("NFKC", text)):
        address = email_address(candidate)
        if address and address not in found:
            found.append(address)
    return found


def email_domain(address: str | None) -> str | None:
    return address.rsplit("@", 1)[1] if address and "@" in address else None


# Longest first, so 股份有限公司 is removed whole rather than leaving 股份.
_COMPANY_SUFFIXES = sorted(
    ["有限责任公司", "股份有限公司", "有限公司", "集团", "公司", "co.,ltd.", "co.,ltd", "co.ltd", "ltd.", "ltd"],
    key=len,
    reverse=True,
)
_COMPANY_NOISE_RE = re.compile(r"[\s()\[\]{}【】〔〕<>《》\"'`·.,，、\-_/]")


def company_name(raw: str | None) -> str | None:
    """A matching key for a company name: half-width, no spaces/brackets, legal suffix removed.

    ``华通科技（北京）有限公司`` and ``华通科技(北京)有限公司 `` both become ``华通科技北京``.
    """
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", str(raw)).strip().lower()
    for suffix in _COMPANY_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    text = _COMPANY_NOISE_RE.sub("", text)
    return text or None


_CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a credit code."""
    total = sum(_CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_CODE_WEIGHTS))
    return _CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def credit_code(raw: str | None) -> str | None:
    """A unified social credit code (统一社会信用代码), upper-cased, or None if its check fails."""
    if raw is None:
        return None
    code = unicodedata.normalize("NFKC", str(raw)).strip().upper()
    if len(code) != 18 or any(c not in _CREDIT_CODE_CHARS for c in code):
        return None
    return code if credit_code_check_char(code[:17]) == code[17] else None


_DATETIME_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y年%m月%d日",
]


def to_utc(value: str | int | float | datetime | None, local_tz: ZoneInfo = SHANGHAI) -> datetime | None:
    """Parse a timestamp to aware UTC. Naive values are in ``local_tz``; raises ValueError if unparseable.

    Accepts ISO 8601 (Salesforce writes ``2025-03-01T08:15:00.000+0000``), the common Chinese
    export layouts, and aware datetimes. Epoch numbers are not guessed here: callers that
    receive epoch seconds or milliseconds convert them with ``from_epoch`` so the unit is explicit.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        parsed = None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            for fmt in _DATETIME_FORMATS:
                try:
                    parsed = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
        if parsed is None:
            raise ValueError(f"unrecognised timestamp {text!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=local_tz)
    return parsed.astimezone(timezone.utc)


def from_epoch(value: int | float | str, unit: str) -> datetime:
    """Epoch ``seconds`` or ``milliseconds`` (WeCom uses both) to aware UTC."""
    number = float(value)
    if unit == "milliseconds":
        number /= 1000.0
    return datetime.fromtimestamp(number, tz=timezone.utc)


_ISO_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)


def to_date(value: str | date | None) -> date | None:
    """A calendar date from ``YYYY-MM-DD``, ``YYYY/MM/DD`` or ``YYYY年MM月DD日``; raises ValueError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    head = text[:11].strip()
    iso = _ISO_DATE_RE.fullmatch(head)
    if iso is not None:
        # strptime reads the same, at a sixth of parsing CRM tasks; an impossible date such as
        # 2025-02-30 falls through to it and fails there with the same message.
        try:
            return date(*map(int, iso.groups()))
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(head, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"unrecognised date {text!r}")
