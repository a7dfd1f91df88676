"""Normalisation of identity keys, timestamps and credit codes."""

import random
import unicodedata
from datetime import date, datetime, timedelta, timezone
from email.utils import parseaddr

import pytest

from orchestration.lib import normalise


@pytest.mark.parametrize(
    "raw",
    ["13800138000", "138-0013-8000", "+86 13800138000", "+86-138-0013-8000", "008613800138000",
     "１３８００１３８０００", " (138) 0013 8000 "],
)
def test_every_way_of_writing_a_mobile_gives_one_e164(raw):
    assert normalise.mobile_e164(raw) == "+8613800138000"


@pytest.mark.parametrize("raw", ["", None, "12345", "010-12345678", "not a phone", "+86 1380013800"])
def test_non_mobiles_are_not_keys(raw):
    assert normalise.mobile_e164(raw) is None


def _plain_ways(national: str, rng: random.Random) -> list[str]:
    """The ways of writing one national number that take the path without the parser."""
    a, b, c = national[:3], national[3:7], national[7:]
    return [national, f"{a}-{b}-{c}", f"{a} {b} {c}", f"+86 {national}", f"+86-{a}-{b}-{c}", f"0086{national}",
            f"+86{a}{rng.choice(' -')}{b}{c}", "".join(chr(ord(d) + 0xFEE0) for d in national)]


def test_the_plain_mobile_path_agrees_with_phonenumbers_parser():
    """Every way of writing a number that skips the parser gets the parser's verdict: for each of
    the 10,000 four-digit prefixes from 1000 to 1999 (every mobile range, the carrier prefixes
    11xx, 12xx and 179xx, the short ranges 1740x and 1610x) three random numbers, each in every
    plain form, both ways."""
    rng = random.Random(20261125)
    checked = mobiles = 0
    for prefix in range(1000, 2000):
        for _ in range(3):
            national = f"{prefix}{rng.randrange(10 ** 7):07d}"
            for raw in _plain_ways(national, rng):
                text = unicodedata.normalize("NFKC", raw).strip()
                assert normalise._PLAIN_CN_MOBILE_RE.fullmatch(text), raw  # it does take the plain path
                expected = normalise._parsed_mobile(text, "CN")
                assert normalise.mobile_e164(raw) == expected, raw
                checked += 1
                mobiles += expected is not None
    assert checked == 1000 * 3 * 8
    assert 0 < mobiles < checked  # both verdicts occur: the comparison is not vacuous


@pytest.mark.parametrize("raw", ["1380013800", "138001380001", "138--0013-8000", "+86  13800138000", "86 13800138000",
                                 "+8613800138000x", "(138) 0013 8000", "+852 13800138000"])
def test_other_shapes_still_go_through_the_parser(raw):
    text = unicodedata.normalize("NFKC", raw).strip()
    assert normalise._PLAIN_CN_MOBILE_RE.fullmatch(text) is None
    assert normalise.mobile_e164(raw) == normalise._parsed_mobile(text, "CN")


def test_iso_dates_read_as_strptime_reads_them():
    """The shortcut for YYYY-MM-DD gives strptime's date, and strptime's error for what is no date."""
    day = date(2023, 1, 1)
    while day < date(2025, 12, 31):
        for raw in (day.isoformat(), f" {day.isoformat()} 08:30:00", day.isoformat() + "T08:30:00"):
            head = unicodedata.normalize("NFKC", raw).strip()[:11].strip()
            try:
                expected = datetime.strptime(head, "%Y-%m-%d").date()
            except ValueError:
                expected = None
            if expected is None:
                with pytest.raises(ValueError, match="unrecognised date"):
                    normalise.to_date(raw)
            else:
                assert normalise.to_date(raw) == expected
        day += timedelta(days=1)
    for raw in ("2025-02-30", "2025-13-01", "2025-00-10", "2024-02-29x"):
        with pytest.raises(ValueError, match=f"unrecognised date '{raw}'"):
            normalise.to_date(raw)
    assert normalise.to_date("2024-02-29") == date(2024, 2, 29)
    assert normalise.to_date("２０２５－０３－０１") == date(2025, 3, 1)
    assert normalise.to_date("2025/3/1") == normalise.to_date("2025年3月1日") == date(2025, 3, 1)


def test_email_is_bare_trimmed_lower_case():
    assert normalise.email_address('  "张伟" <Zhang.Wei@Corp.COM.cn> ') == "zhang.wei@corp.com.cn"
    assert normalise.email_address("no-at-sign") is None


@pytest.mark.parametrize("raw", [
    "Zhang.Wei@Corp.COM.cn", " li_na+crm@mail-1.example.com ", "ｗａｎｇ＠ｃｏｒｐ．ｃｎ", "a..b@corp.cn", ".a@corp.cn",
    "a.@corp.cn", "a@corp", "a@-corp.cn", "a@corp..cn", "a b@corp.cn", "a@b@corp.cn", "王伟@公司.cn",
    '"Wang" <wang@corp.cn>', "wang@corp.cn (Wang)", "<wang@corp.cn>", "Wang <wang@corp.cn>, li@corp.cn", "",
])
def test_the_bare_address_shortcut_agrees_with_parseaddr(raw):
    """The shortcut for values that already are bare addresses gives what parseaddr gives."""
    _, address = parseaddr(unicodedata.normalize("NFKC", raw).strip())
    address = address.strip().lower()
    assert normalise.email_address(raw) == (address if normalise._EMAIL_RE.match(address) else None)


def test_company_name_variants_share_one_key():
    variants = ["华通科技（北京）有限公司", "华通科技(北京)有限公司 ", "华通科技 (北京) 股份有限公司"]
    assert {normalise.company_name(v) for v in variants} == {"华通科技北京"}
    assert normalise.company_name("华通科技有限公司") != normalise.company_name("华通信息有限公司")


def test_credit_code_check_character():
    # 91350100M000100Y43 is the example code commonly quoted for GB 32100-2015; by hand:
    # weighted sum of the first 17 = 1640, 1640 mod 31 = 28, 31 - 28 = 3 → check character '3'.
    first17 = "91350100M000100Y4"
    assert normalise.credit_code_check_char(first17) == "3"
    assert normalise.credit_code("91350100M000100Y43") == "91350100M000100Y43"
    assert normalise.credit_code(" 91350100m000100y43") == "91350100M000100Y43"
    assert normalise.credit_code("91350100M000100Y44") is None
    assert normalise.credit_code("91350100M000100Y4") is None
    assert normalise.credit_code("91350100I000100Y43") is None  # I is not in the alphabet


def test_naive_timestamps_are_shanghai_and_become_utc():
    assert normalise.to_utc("2025-08-01 00:30:00") == datetime(2025, 7, 31, 16, 30, tzinfo=timezone.utc)
    assert normalise.to_utc("2025-03-01T08:15:00.000+0000") == datetime(2025, 3, 1, 8, 15, tzinfo=timezone.utc)
    assert normalise.to_utc("2025年08月01日 08:00") == datetime(2025, 8, 1, 0, 0, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        normalise.to_utc("not-a-date")


def test_epoch_units_are_explicit():
    assert normalise.from_epoch(1735660800, "seconds") == datetime(2024, 12, 31, 16, 0, tzinfo=timezone.utc)
    assert normalise.from_epoch(1735660800123, "milliseconds").microsecond == 123000


def test_mobiles_and_emails_written_in_free_text():
    from orchestration.lib.normalise import emails_in_text, mobiles_in_text

    signature = "张伟\n华通科技（北京）有限公司\n手机：１３８-００１３-８０００\n订单号 20250701123456，金额 19800.00"
    assert mobiles_in_text(signature) == ["+8613800138000"]  # the order number and amount are not mobiles
    assert mobiles_in_text("我的手机号是+86 139 1234 5678，座机 021-62345678，再说一遍 13912345678") == ["+8613912345678"]
    assert mobiles_in_text(None) == [] and mobiles_in_text("好的，谢谢") == []
    assert emails_in_text("邮箱 Zhang.Wei@Corp.COM.cn，抄送 li@qq.com。") == ["zhang.wei@corp.com.cn", "li@qq.com"]
