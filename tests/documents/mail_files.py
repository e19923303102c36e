"""E-mail files for the tests, made here: .eml with the stdlib, .msg with an OLE writer.

extract-msg reads .msg files but cannot write a message, and its package
ships no sample; ``make_msg`` writes a small but real Outlook message (an
OLE compound file with the MAPI property streams Outlook writes: message
class, subject, body, sender, transport headers, one recipient storage per
recipient, one attachment storage per attachment) with extract-msg's own
``OleWriter``, so no third-party file and no licence question.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import io
import struct
import tempfile
from email.message import EmailMessage
from pathlib import Path

from extract_msg import OleWriter

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17


def make_eml(
    *,
    sender: str = "Amb. Ana Silva <ana.silva@mission.example>",
    to: str = "Desk Officer <desk@itu.example>",
    cc: str = "",
    subject: str = "Contribution agreement 2026",
    body: str = "Dear colleagues,\nplease find the signed agreement attached.",
    html: str | None = None,
    date: dt.datetime | None = None,
    message_id: str | None = "<agreement-2026@mission.example>",
    attachments: tuple[tuple[str, bytes, str], ...] = (
        ("Agreement.pdf", PDF, "application/pdf"),
    ),
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    moment = date or dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC)
    message["Date"] = email.utils.format_datetime(moment)
    if message_id:
        message["Message-ID"] = message_id
    if html is None:
        message.set_content(body)
    else:
        message.set_content(html, subtype="html")
    for name, data, mime in attachments:
        main, sub = mime.split("/")
        message.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return message.as_bytes()


def _text(value: str) -> bytes:
    return value.encode("utf-16-le")


def _filetime(moment: dt.datetime) -> int:
    epoch = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)
    return int((moment - epoch).total_seconds() * 10_000_000)


def _properties(header: bytes, entries: list[tuple[int, int]]) -> bytes:
    """A properties stream: its header, then fixed-size (tag, value) entries."""
    body = b"".join(struct.pack("<IIQ", tag, 6, value) for tag, value in entries)
    return header + body


def make_msg(
    *,
    sender_name: str = "Amb. Ana Silva",
    sender: str = "ana.silva@mission.example",
    to: tuple[tuple[str, str], ...] = (("Desk Officer", "desk@itu.example"),),
    subject: str = "Note verbale on the 2026 contribution",
    body: str = "The Permanent Mission presents its compliments.",
    date: dt.datetime | None = None,
    message_id: str = "<note-verbale-2026@mission.example>",
    attachments: tuple[tuple[str, bytes], ...] = (("Note verbale.pdf", PDF),),
) -> bytes:
    moment = date or dt.datetime(2026, 3, 2, 9, 15, tzinfo=dt.UTC)
    headers = (
        f"From: {sender_name} <{sender}>\r\n"
        f"To: {', '.join(f'{n} <{a}>' for n, a in to)}\r\n"
        f"Subject: {subject}\r\n"
        f"Date: {email.utils.format_datetime(moment)}\r\n"
        f"Message-ID: {message_id}\r\n\r\n"
    )
    writer = OleWriter()
    header = struct.pack(
        "<8xIIII8x", len(to), len(attachments), len(to), len(attachments)
    )
    writer.addEntry(
        "__properties_version1.0",
        _properties(header, [(0x00390040, _filetime(moment))]),
    )
    writer.addEntry("__substg1.0_001A001F", _text("IPM.Note"))
    writer.addEntry("__substg1.0_0037001F", _text(subject))
    writer.addEntry("__substg1.0_1000001F", _text(body))
    writer.addEntry("__substg1.0_0C1A001F", _text(sender_name))
    writer.addEntry("__substg1.0_0C1F001F", _text(sender))
    writer.addEntry("__substg1.0_5D01001F", _text(sender))
    writer.addEntry("__substg1.0_1035001F", _text(message_id))
    writer.addEntry("__substg1.0_007D001F", _text(headers))
    writer.addEntry("__substg1.0_0E04001F", _text("; ".join(n for n, _a in to)))
    writer.addEntry("__nameid_version1.0", storage=True)
    for stream in ("00020102", "00030102", "00040102"):
        writer.addEntry(f"__nameid_version1.0/__substg1.0_{stream}", b"")
    for index, (name, address) in enumerate(to):
        storage = f"__recip_version1.0_#{index:08X}"
        writer.addEntry(storage, storage=True)
        writer.addEntry(
            f"{storage}/__properties_version1.0",
            _properties(b"\0" * 8, [(0x0C150003, 1), (0x30000003, index)]),
        )
        writer.addEntry(f"{storage}/__substg1.0_3001001F", _text(name))
        writer.addEntry(f"{storage}/__substg1.0_3003001F", _text(address))
        writer.addEntry(f"{storage}/__substg1.0_39FE001F", _text(address))
    for index, (name, data) in enumerate(attachments):
        storage = f"__attach_version1.0_#{index:08X}"
        writer.addEntry(storage, storage=True)
        writer.addEntry(
            f"{storage}/__properties_version1.0",
            _properties(b"\0" * 8, [(0x37050003, 1), (0x0E210003, index)]),
        )
        writer.addEntry(f"{storage}/__substg1.0_37010102", data)
        writer.addEntry(f"{storage}/__substg1.0_3707001F", _text(name))
        writer.addEntry(f"{storage}/__substg1.0_3001001F", _text(name))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "message.msg"
        writer.write(path)
        return path.read_bytes()


def as_file(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
