"""RFC 5322 messages as mail servers and clients export them, and mbox framing.

Built by hand rather than with ``email.message`` because the point is to reproduce what real
exports contain, including what a strict library would never write: subjects encoded in
GB2312 or as GBK quoted-printable, GBK bodies labelled ``gb2312``, HTML-only alternatives.
"""

from __future__ import annotations

import base64
import quopri
from dataclasses import dataclass, field
from datetime import datetime


def encoded_word(text: str, charset: str, encoding: str = "B") -> str:
    """``=?charset?B?…?=`` (or ``?Q?``) as mail clients write non-ASCII headers."""
    data = text.encode(charset)
    if encoding == "Q":
        payload = quopri.encodestring(data, header=True).decode("ascii").replace("\n", "")
    else:
        payload = base64.b64encode(data).decode("ascii")
    return f"=?{charset}?{encoding}?{payload}?="


@dataclass
class Mail:
    message_id: str | None
    date_header: str
    from_header: str
    to_header: str
    subject_header: str
    body: str
    body_charset: str = "utf-8"  # the label; GBK bodies are encoded with gb18030 as clients do
    html_only: bool = False
    attachment: tuple[str, bytes] | None = None  # (file name, content)
    references: list[str] = field(default_factory=list)
    cc_header: str | None = None


def _body_bytes(text: str, label: str) -> bytes:
    codec = "gb18030" if label.lower() in {"gb2312", "gbk", "gb18030"} else label
    return text.encode(codec)


def _text_part(content_type: str, text: str, charset: str) -> list[str]:
    encoded = base64.encodebytes(_body_bytes(text, charset)).decode("ascii").rstrip("\n")
    return [f'Content-Type: {content_type}; charset="{charset}"', "Content-Transfer-Encoding: base64", "",
            *encoded.split("\n")]


def render(mail: Mail, boundary_seed: str) -> bytes:
    """The message as CRLF-terminated bytes."""
    headers = []
    if mail.message_id:
        headers.append(f"Message-ID: {mail.message_id}")
    headers += [f"Date: {mail.date_header}", f"From: {mail.from_header}", f"To: {mail.to_header}"]
    if mail.cc_header:
        headers.append(f"Cc: {mail.cc_header}")
    headers.append(f"Subject: {mail.subject_header}")
    if mail.references:
        headers += [f"In-Reply-To: {mail.references[-1]}", f"References: {' '.join(mail.references)}"]
    headers.append("MIME-Version: 1.0")
    if mail.html_only:
        html = "<html><body><p>" + mail.body.replace("\n", "<br>") + "</p></body></html>"
        part = _text_part("text/html", html, mail.body_charset)
        boundary = f"==alt_{boundary_seed}"
        lines = headers + [f'Content-Type: multipart/alternative; boundary="{boundary}"', "",
                           f"--{boundary}", *part, f"--{boundary}--"]
    elif mail.attachment:
        name, content = mail.attachment
        boundary = f"==mixed_{boundary_seed}"
        attachment = base64.encodebytes(content).decode("ascii").rstrip("\n")
        lines = headers + [
            f'Content-Type: multipart/mixed; boundary="{boundary}"', "",
            f"--{boundary}", *_text_part("text/plain", mail.body, mail.body_charset),
            f"--{boundary}", f'Content-Type: application/pdf; name="{encoded_word(name, "utf-8")}"',
            f'Content-Disposition: attachment; filename="{encoded_word(name, "utf-8")}"',
            "Content-Transfer-Encoding: base64", "", *attachment.split("\n"), f"--{boundary}--",
        ]
    else:
        lines = headers + _text_part("text/plain", mail.body, mail.body_charset)
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def mbox_entry(message: bytes, sender: str, when: datetime) -> bytes:
    """One message in mboxo framing: a ``From`` separator line, ``>From`` quoting, a blank line."""
    body = message.replace(b"\r\n", b"\n")
    quoted = b"\n".join(b">" + line if line.startswith(b"From ") else line for line in body.split(b"\n"))
    separator = f"From {sender} {when.strftime('%a %b %d %H:%M:%S %Y')}\n".encode("ascii")
    return separator + quoted.rstrip(b"\n") + b"\n\n"
