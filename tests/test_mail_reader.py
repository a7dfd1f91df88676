"""The mail reader on hand-written messages: which parts become the body, which are attachments,
how charsets and raw 8-bit headers decode, and what a broken message or file does.

Each expected value is read off the message by hand, not produced by the reader.
"""

import base64
import mailbox
import random
from email.utils import getaddresses, parsedate_to_datetime

import pytest

from orchestration.lib.errors import MalformedFileError
from orchestration.lib.readers import _mailboxes, _plain_rfc2822, _rfc2822_to_iso, mbox_messages, read_eml, read_mbox

HEAD = ("Message-ID: <m1@corp.cn>\r\nDate: Tue, 01 Jul 2025 10:00:00 +0800\r\nFrom: a@corp.cn\r\n"
        "To: b@ourcompany.cn\r\nSubject: s\r\nMIME-Version: 1.0\r\n")


def _mixed(*parts: str, boundary: str = "b1") -> str:
    body = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts)
    return f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n{body}--{boundary}--\r\n'


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _read(tmp_path, message: bytes):
    path = tmp_path / "m.eml"
    path.write_bytes(message)
    (record,) = read_eml(path).records
    return record


MESSAGES = {
    "text attachment beside the body": (
        _mixed("Content-Type: text/plain; charset=utf-8\r\n\r\nhello body",
               'Content-Type: text/plain; name="notes.txt"\r\nContent-Disposition: attachment; filename="notes.txt"'
               "\r\n\r\nattached text"),
        "hello body", [{"name": "notes.txt", "type": "text/plain", "size": len("attached text")}]),
    "plain chosen over its HTML alternative; a nameless inline image is neither": (
        _mixed('Content-Type: multipart/alternative; boundary="b2"\r\n\r\n--b2\r\nContent-Type: text/plain\r\n\r\n'
               "plain one\r\n--b2\r\nContent-Type: text/html\r\n\r\n<p>html one</p>\r\n--b2--",
               "Content-Type: image/png\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n"
               + _b64(b"hello")),
        "plain one", []),
    "HTML only, GB2312 quoted-printable: its text without tags": (
        "Content-Type: text/html; charset=gb2312\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        "<p>=C4=E3=BA=C3</p>\r\n",
        "你好", []),
    "a named part without a disposition is an attachment": (
        _mixed("Content-Type: text/plain\r\n\r\nbody", 'Content-Type: text/plain; name="a.txt"\r\n\r\nnamed inline'),
        "body", [{"name": "a.txt", "type": "text/plain", "size": len("named inline")}]),
    "two plain parts are joined": (
        _mixed("Content-Type: text/plain\r\n\r\nfirst", "Content-Type: text/plain\r\n\r\nsecond"),
        "first\nsecond", []),
    "a forwarded message's text is part of the body": (
        _mixed("Content-Type: text/plain\r\n\r\nsee below",
               "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body"),
        "see below\ninner body", []),
}


@pytest.mark.parametrize("name", list(MESSAGES))
def test_body_and_attachments_of_a_mime_structure(tmp_path, name):
    structure, body, attachments = MESSAGES[name]
    record = _read(tmp_path, (HEAD + structure).encode("utf-8"))
    assert record.error is None
    assert record.fields["Body"] == body
    assert record.fields["Attachments"] == attachments


def test_8bit_utf8_without_a_charset_label_reads_as_utf8(tmp_path):
    # Chinese mail servers send 8-bit UTF-8 headers and bodies with no label at all.
    message = HEAD.replace("Subject: s", "Subject: 报价单").replace("From: a@corp.cn", "From: 王芳 <a@corp.cn>")
    record = _read(tmp_path, (message + "\r\n纯文本正文\r\n").encode("utf-8"))
    assert (record.fields["Subject"], record.fields["From-Name"], record.fields["From"]) == ("报价单", "王芳", "a@corp.cn")
    assert record.fields["Body"] == "纯文本正文"


def test_gbk_body_under_an_unknown_charset_label_is_detected(tmp_path):
    text = "陶喆先生：报价见附件，请查收。谢谢！我们下周再联系。"
    message = (HEAD + 'Content-Type: text/plain; charset="x-unknown"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
               + _b64(text.encode("gb18030")) + "\r\n")
    assert _read(tmp_path, message.encode("ascii")).fields["Body"] == text


def test_addresses_and_threading_headers(tmp_path):
    message = (HEAD.replace("To: b@ourcompany.cn", 'To: "Li, Si" <B@Corp.cn>, d@e.cn\r\nCc: =?utf-8?B?'
                            + _b64("赵六".encode()) + "?= <z@corp.cn>")
               + "In-Reply-To:  <m0@corp.cn> \r\nReferences: <r1@corp.cn>\r\n <m0@corp.cn>\r\n\r\nbody\r\n")
    fields = _read(tmp_path, message.encode("ascii")).fields
    assert fields["To"] == ["B@Corp.cn", "d@e.cn"]
    assert fields["Cc"] == ["z@corp.cn"]
    assert fields["In-Reply-To"] == "<m0@corp.cn>"
    assert fields["References"] == ["<r1@corp.cn>", "<m0@corp.cn>"]
    assert fields["Date"] == "2025-07-01T10:00:00+08:00"


def test_a_corrupt_attachment_keeps_the_message_and_says_what_broke(tmp_path):
    structure = _mixed("Content-Type: text/plain\r\n\r\nquote attached",
                       "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=quote.pdf\r\n"
                       "Content-Transfer-Encoding: base64\r\n\r\n!!!not-base64")
    record = _read(tmp_path, (HEAD + structure).encode("ascii"))
    assert record.error is None
    assert record.fields["From"] == "a@corp.cn"
    assert record.fields["Body"] == "quote attached"
    (attachment,) = record.fields["Attachments"]
    assert (attachment["name"], attachment["type"]) == ("quote.pdf", "application/pdf")
    assert "base64" in attachment["error"].lower()


def test_a_file_without_headers_fails_naming_the_problem(tmp_path):
    path = tmp_path / "notes.eml"
    path.write_bytes("只是一段文字，没有邮件头\n".encode("utf-8"))
    with pytest.raises(MalformedFileError, match="no RFC 5322 headers"):
        list(read_eml(path).records)


def test_mbox_messages_keep_their_position_and_their_own_parts(tmp_path):
    first = HEAD + "Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n" \
        + _b64("第一封".encode("gb18030")) + "\r\n"
    second = HEAD.replace("<m1@corp.cn>", "<m2@corp.cn>") + _mixed("Content-Type: text/plain\r\n\r\n第二封")
    data = b"".join(b"From a@corp.cn Tue Jul  1 02:00:00 2025\n" + m.replace("\r\n", "\n").encode("utf-8") + b"\n"
                    for m in (first, second))
    path = tmp_path / "box.mbox"
    path.write_bytes(data)
    records = list(read_mbox(path).records)
    assert [(r.line, r.fields["Message-ID"], r.fields["Body"]) for r in records] == [
        (1, "<m1@corp.cn>", "第一封"), (2, "<m2@corp.cn>", "第二封")]


def test_mbox_messages_split_as_the_standard_librarys_mailbox_splits_them(tmp_path):
    """The mbox splitter against ``mailbox.mbox`` on random files of separators, blank lines,
    quoted separators, CRLF and a last line without its newline."""
    pieces = [b"From a@b Mon Jan  1 00:00:00 2025\n", b"\n", b"body line\n", b">From quoted\n", b"From x",
              b"\r\n", b"tail", b"From \n", b"x\n\n", b"Subject: s\r\n"]
    rng = random.Random(7)
    path = tmp_path / "box.mbox"
    for _ in range(2000):
        data = b"From s Mon\n" + b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        path.write_bytes(data)
        box = mailbox.mbox(path, create=False)
        expected = [box.get_bytes(key) for key in box.iterkeys()]
        box.close()
        assert list(mbox_messages(data)) == expected, data


def test_date_headers_read_as_parsedate_to_datetime_reads_them():
    """The plain-form shortcut against the stdlib on typical and on random Date headers."""
    typical = ["Tue, 01 Jul 2025 10:00:00 +0800", "1 Jul 2025 10:00:00 +0800", "Tue, 01 Jul 2025 02:00:00 GMT",
               "Tue, 01 Jul 2025 10:00:00", "Tue, 01 Jul 2025 10:00:00 -0000", "Tue, 01 Jul 2025 10:00:00 +0000",
               "Mon, 32 Foo 2025 25:61:00 +0800", "Mon, 31 Feb 2025 10:00:00 +0800", "Tue, 01 Jul 2025 24:00:00 +0800",
               "Tue, 01 Jul 2025 10:00:60 +0800", "Tue, 01 Jul 2025 10:00:00 +0899", "Tue, 01 Jul 2025 10:00:00 -0530",
               "tue, 01 jul 2025 10:00:00 +0800", "Tue,  01 Jul 2025 10:00:00 +0800", "01 Jul 25 10:00:00 +0800"]
    rng = random.Random(3)
    pieces = ["Tue, ", "Xyz, ", "1", "01", "31", "00", " ", "Jul ", "Feb ", "2025 ", "0099 ", "10:00:00", "23:59:59",
              " +0800", " -0000", " -1200", " +1400", " +2400", ":", ","]
    headers = typical + ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))) for _ in range(3000)]
    # and the plain form with fields in and out of range
    for _ in range(3000):
        weekday = rng.choice(["", "Tue, ", "Abc, "])
        day, hour, minute, second = (rng.choice(["0", "1", "01", "28", "29", "31", "32", "99", "23", "24", "59", "60"])
                                     for _ in range(4))
        month, year = rng.choice(["Jan", "Feb", "Jun", "Dec", "jul"]), rng.choice(["0099", "1970", "2024", "2025", "9999"])
        zone = rng.choice(["+0800", "-0000", "+0000", "-1200", "+2400", "+0099", "-2359", "+1400"])
        headers.append(f"{weekday}{day} {month} {year} {hour.zfill(2)}:{minute.zfill(2)}:{second.zfill(2)} {zone}")
    assert sum(_plain_rfc2822(value) is not None for value in headers) > 150  # the shortcut was taken

    def stdlib(value):
        try:
            return parsedate_to_datetime(value).isoformat()
        except (TypeError, ValueError, IndexError):
            return value

    for value in headers:
        assert _rfc2822_to_iso(value) == stdlib(value), value
    assert _rfc2822_to_iso("Tue, 01 Jul 2025 10:00:00 +0800") == "2025-07-01T10:00:00+08:00"


def test_mailboxes_read_as_getaddresses_reads_them():
    """The plain-mailbox shortcut against the stdlib on typical and on random header values."""
    typical = ["a@corp.cn", "王芳 <wangfang@ourcompany.cn>", "Li Si<ls@corp.cn>, d@e.cn", '"Li, Si" <b@c.cn>',
               "=?utf-8?B?5byg?= <z@corp.cn>", "a@corp.cn (work)", "team: a@b.cn, c@d.cn;", "", " , a@b.cn,",
               "Li  Si <a@b.cn>", "Li\tSi <a@b.cn>", "Li.Si <a@b.cn>", "Dr. Li <a@b.cn>", "<a@b.cn>"]
    pieces = ["a@b.cn", "Zhang.Wei@Corp.com.cn", "x_y%z+1@q-r.s.t", "王芳", "Li", " ", "\t", ",", "<", ">", '"',
              "(", ")", ".", ":", ";", "@", "[", "]", "\\", "<a@b.cn>", "a@b", "@b.cn", "a..b@c.cn", ""]
    rng = random.Random(20251125)
    values = [[v] for v in typical] + [
        ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(1, 2))]
        for _ in range(20000)]
    assert [_mailboxes(v) for v in values] == [getaddresses(v) for v in values]
