"""Hostile files, generated on demand: each one a real attack on a reader.

Used by ``tests/imports/test_hostile_files.py`` and ``bench/hostile_bench.py``.
Each function returns ``(file name, bytes)``; ``ALL`` names them with what
the import must answer (a fragment of the refusal message).
"""

from __future__ import annotations

import functools
import io
import os
import struct
import zipfile
import zlib

HEADER = ("Donor", "Reference", "Amount", "Currency", "Date")
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _inline(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def _header_row() -> str:
    cells = "".join(_inline(f"{chr(65 + i)}1", name) for i, name in enumerate(HEADER))
    return f'<row r="1">{cells}</row>'


def _data_row(row: int = 2) -> str:
    values = ("Japan", f"JP-{row}", "1000", "CHF", "31.03.2024")
    cells = "".join(
        _inline(f"{chr(65 + i)}{row}", value) for i, value in enumerate(values)
    )
    return f'<row r="{row}">{cells}</row>'


def _sheet(rows: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_NS}">'
        f"<sheetData>{rows}</sheetData></worksheet>"
    ).encode()


def workbook(
    sheet: bytes | None = None,
    *,
    shared_strings: bytes | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
    parts: dict[str, bytes] | None = None,
) -> bytes:
    """A minimal XLSX with one sheet, "Pledges"; ``parts`` adds or replaces
    parts."""
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns='
        '"http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    )
    book = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_NS}" '
        f'xmlns:r="{_REL}"><sheets><sheet name="Pledges" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    )
    book_rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns='
        '"http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>'
    )
    contents: dict[str, bytes] = {
        "[Content_Types].xml": types.encode(),
        "_rels/.rels": rels.encode(),
        "xl/workbook.xml": book.encode(),
        "xl/_rels/workbook.xml.rels": book_rels.encode(),
    }
    if sheet is not None:
        contents["xl/worksheets/sheet1.xml"] = sheet
    if shared_strings is not None:
        contents["xl/sharedStrings.xml"] = shared_strings
    contents.update(parts or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, content in contents.items():
            archive.writestr(name, content)
    return out.getvalue()


def far_column() -> tuple[str, bytes]:
    """2 KB: a header, one pledge, and one cell at column ZZZZ (475,254)."""
    rows = _header_row() + _data_row(2).replace(
        "</row>", '<c r="ZZZZ2"><v>1</v></c></row>'
    )
    return "far-column.xlsx", workbook(_sheet(rows))


def _bomb(prefix: bytes, suffix: bytes, size: int = 2**30) -> tuple[bytes, int, int]:
    """A raw deflate stream of ``prefix``, ``size`` bytes of "A", ``suffix``:
    (compressed, CRC-32, uncompressed size), in about a second.

    A 16 MiB block is compressed once and ended with a full flush, which
    makes its output independent of what precedes it, so it can be repeated.
    """
    block = b"A" * (16 * 2**20)
    count = size // len(block)
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = head.compress(prefix) + head.flush(zlib.Z_FULL_FLUSH)
    body = zlib.compressobj(9, zlib.DEFLATED, -15)
    repeated = body.compress(block) + body.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    end = tail.compress(suffix) + tail.flush()
    crc = zlib.crc32(prefix)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(suffix, crc)
    compressed = start + repeated * count + end
    return compressed, crc, len(prefix) + count * len(block) + len(suffix)


def _zip(entries: dict[str, bytes | tuple[bytes, int, int]]) -> bytes:
    """A ZIP of deflated entries; a tuple is already (deflated, CRC, size)."""
    out = io.BytesIO()
    directory = []
    for name, content in entries.items():
        if isinstance(content, bytes):
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            content = (
                packer.compress(content) + packer.flush(),
                zlib.crc32(content),
                len(content),
            )
        data, crc, size = content
        encoded = name.encode()
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(data),
                size,
                len(encoded),
                0,
            )
        )
        out.write(encoded)
        out.write(data)
        directory.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(data),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    for entry in directory:
        out.write(entry)
    out.write(
        struct.pack(
            "<IHHHHIIH",
            0x06054B50,
            0,
            0,
            len(directory),
            len(directory),
            out.tell() - start,
            start,
            0,
        )
    )
    return out.getvalue()


def _bomb_workbook(part: str, prefix: bytes, suffix: bytes, sheet: bytes | None):
    base = zipfile.ZipFile(io.BytesIO(workbook(sheet)))
    entries: dict = {info.filename: base.read(info) for info in base.infolist()}
    entries[part] = _bomb(prefix, suffix)
    return _zip(entries)


@functools.cache
def zip_bomb_inline() -> tuple[str, bytes]:
    """About 1 MB holding 1 GiB of text in one inline string cell."""
    head = _sheet(_header_row()).split(b"</sheetData>")[0]
    prefix = head + b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
    suffix = b"</t></is></c></row></sheetData></worksheet>"
    return "zip-bomb-inline.xlsx", _bomb_workbook(
        "xl/worksheets/sheet1.xml", prefix, suffix, None
    )


@functools.cache
def zip_bomb_shared() -> tuple[str, bytes]:
    """About 1 MB holding 1 GiB of text in one shared string, used by A2."""
    rows = _header_row() + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    prefix = f'<?xml version="1.0"?><sst xmlns="{_NS}"><si><t>'.encode()
    suffix = b"</t></si></sst>"
    return "zip-bomb-shared.xlsx", _bomb_workbook(
        "xl/sharedStrings.xml", prefix, suffix, _sheet(rows)
    )


def billion_laughs() -> tuple[str, bytes]:
    """Ten levels of ten entities: 10^9 "lol"s if a parser expands them."""
    entities = ['<!ENTITY lol "lol">']
    for level in range(1, 10):
        previous = "lol" if level == 1 else f"lol{level - 1}"
        entities.append(f'<!ENTITY lol{level} "{f"&{previous};" * 10}">')
    strings = (
        '<?xml version="1.0"?><!DOCTYPE sst [' + "".join(entities) + "]>"
        f'<sst xmlns="{_NS}"><si><t>&lol9;</t></si></sst>'
    ).encode()
    rows = _header_row() + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    return "billion-laughs.xlsx", workbook(_sheet(rows), shared_strings=strings)


@functools.cache
def styled_rows(count: int = 1_000_000) -> tuple[str, bytes]:
    """A header, one pledge, then ``count`` rows of formatted empty cells."""
    body = "".join(
        f'<row r="{row}" s="1" customFormat="1"><c r="A{row}" s="1"/></row>'
        for row in range(3, count + 3)
    )
    return "styled-rows.xlsx", workbook(_sheet(_header_row() + _data_row() + body))


@functools.cache
def long_cell_xlsx(size: int = 50_000_000) -> tuple[str, bytes]:
    """A 50 MB note in one cell, stored uncompressed (no bomb: ratio 1)."""
    rows = _header_row() + _data_row().replace(
        "</row>", _inline("F2", "x" * size) + "</row>"
    )
    return "long-cell.xlsx", workbook(_sheet(rows), compression=zipfile.ZIP_STORED)


@functools.cache
def long_cell_csv(size: int = 50_000_000) -> tuple[str, bytes]:
    """A 50 MB note in one CSV cell."""
    head = ",".join([*HEADER, "Note"]).encode()
    return "long-cell.csv", head + b"\nJapan,JP-2,1000,CHF,31.03.2024," + (
        b"x" * size
    ) + b"\n"


def nul_csv() -> tuple[str, bytes]:
    """A CSV with NUL bytes in its cells."""
    head = ",".join(HEADER).encode()
    return "nul.csv", head + b"\nJa\x00pan,JP-1,1\x00000,CHF,31.03.2024\n" * 20


def binary() -> tuple[str, bytes]:
    """Random bytes named .csv."""
    return "binary.csv", os.urandom(64 * 1024)


# Each hostile file and a fragment of the message that refuses it.
ALL = {
    "far column": (far_column, "IMPORT_MAX_COLUMNS"),
    "zip bomb, inline string": (zip_bomb_inline, "IMPORT_MAX_UNCOMPRESSED_MB"),
    "zip bomb, shared string": (zip_bomb_shared, "IMPORT_MAX_UNCOMPRESSED_MB"),
    "billion laughs": (billion_laughs, "declares a DTD"),
    "1M styled rows": (styled_rows, "IMPORT_MAX_ROWS"),
    "50 MB cell, XLSX": (long_cell_xlsx, "IMPORT_MAX_CELL_CHARS"),
    "50 MB cell, CSV": (long_cell_csv, "IMPORT_MAX_CELL_CHARS"),
    "NUL bytes": (nul_csv, "binary file"),
    "binary": (binary, "binary file"),
}
