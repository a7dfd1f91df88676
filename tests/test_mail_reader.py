"""The mail reader on hand-written messages: which parts become the body, which are attachments,
how charsets and raw 8-bit headers decode, and what a broken message or file does.

Each expected value is read off the message by hand, not produced by the reader.
"""

import base64
import random
from email.utils import getaddresses

import pytest

from orchestration.lib.errors import MalformedFileError
from orchestration.lib.readers import _mailboxes, read_eml, read_mbox

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
