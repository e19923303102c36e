"""Check an XLSX workbook against the import limits before it is expanded.

An XLSX is a ZIP of XML parts, and a 2 KB file can ask a reader for
gigabytes: a cell addressed far past column XFD makes rows that wide, a part
of a few kilobytes can inflate to a gigabyte (a zip bomb), nested entities in
a DTD expand exponentially (billion laughs), and ``<dimension>`` may say
anything. ``inspect_xlsx`` looks, in this order and without trusting any of
the file's own declarations of size:

1. the ZIP central directory: the number of parts, their total uncompressed
   size and their compression ratio;
2. every XML part, streamed through expat with the size ZIP declared as the
   cap: a DTD (where entities are declared) is refused outright, as
   defusedxml does;
3. the shared strings: the length of each;
4. every worksheet: its rows counted one by one, the highest row and column
   a cell uses, the area a reader would fill, the length of each cell's text,
   and the formulas (which the reader, calamine, reports as their cached
   values).

Any excess raises ``LimitExceeded`` naming the limit and the value found.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.parsers import expat
from xml.sax.saxutils import unescape

from django.utils.translation import gettext as _

from crm.lib.formats import format_number
from crm.lib.import_limits import MAX_ZIP_ENTRIES, ImportLimits, refuse
from crm.lib.tabular import TableError

_CHUNK = 1024 * 1024
# Parts smaller than this cannot hurt, whatever their ratio (styles compress
# 20-fold and more).
_RATIO_FLOOR = 1024 * 1024
_SHARED_STRINGS = "sharedStrings"


@dataclass
class SheetScan:
    """What a worksheet part holds, counted while streaming it."""

    name: str
    part: str
    rows: int = 0
    first_row: int = 0
    last_row: int = 0
    first_column: int = 0
    last_column: int = 0
    # Sheet rows counted before ``stop_after_rows`` ended the scan early.
    complete: bool = True
    # (row, column) -> formula text with its "=", both 1-based.
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    # (row, column) -> error value ("#N/A"), which calamine reads as empty.
    errors: dict[tuple[int, int], str] = field(default_factory=dict)


@dataclass
class XlsxScan:
    sheets: dict[str, SheetScan]

    @property
    def rows(self) -> int:
        return max((sheet.rows for sheet in self.sheets.values()), default=0)


class _Enough(Exception):
    """Enough rows counted to decide what was asked."""


def inspect_xlsx(
    data: bytes,
    limits: ImportLimits | None = None,
    *,
    stop_after_rows: int | None = None,
) -> XlsxScan:
    """Check ``data`` against ``limits``; the sheets' row counts and formulas.

    With ``stop_after_rows``, a sheet is checked in full only for that many
    rows (its ``complete`` is then False); the rest of its rows are counted,
    fast, against the row limit: enough to refuse what is too large and to
    decide between the request and a background run, whose read checks it
    all.
    Raises ``LimitExceeded`` on a limit, ``TableError`` on a damaged file.
    """
    limits = limits or ImportLimits.from_settings()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as error:
        raise TableError(
            _("The file cannot be opened as an Excel (.xlsx) workbook.")
        ) from error
    with archive:
        infos = archive.infolist()
        _check_directory(infos, len(data), limits)
        parts = {info.filename: info for info in infos}
        sheets = _sheet_parts(archive, parts)
        # A worksheet the workbook does not list is checked all the same.
        for name in parts:
            if "/worksheets/" in name and name not in sheets.values():
                sheets[name] = name
        for info in infos:
            name = info.filename
            if not name.endswith((".xml", ".rels")) or name in sheets.values():
                continue
            _parse(archive, info, None)
            if posixpath.basename(name).startswith(_SHARED_STRINGS):
                _scan_shared_strings(archive, info, limits)
        scans: dict[str, SheetScan] = {}
        for sheet_name, part in sheets.items():
            scan = SheetScan(name=sheet_name, part=part)
            if part in parts:
                _scan_sheet(archive, parts[part], scan, limits, stop_after_rows)
            scans[sheet_name] = scan
    return XlsxScan(sheets=scans)


def _check_directory(infos: list[zipfile.ZipInfo], size: int, limits) -> None:
    if len(infos) > MAX_ZIP_ENTRIES:
        raise refuse(_("parts in the workbook"), len(infos), MAX_ZIP_ENTRIES)
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        raise refuse(
            _("size of the workbook uncompressed, in MB"),
            _megabytes(total),
            _megabytes(limits.max_uncompressed_bytes),
            "IMPORT_MAX_UNCOMPRESSED_MB",
        )
    ratio = limits.max_compression_ratio
    for info in infos:
        if info.file_size > _RATIO_FLOOR and (
            info.file_size > ratio * max(info.compress_size, 1)
        ):
            raise refuse(
                _('compression ratio of the part "%(part)s"') % {"part": info.filename},
                info.file_size // max(info.compress_size, 1),
                ratio,
                "IMPORT_MAX_COMPRESSION_RATIO",
            )
    if total > _RATIO_FLOOR and total > ratio * max(size, 1):
        raise refuse(
            _("compression ratio of the workbook"),
            total // max(size, 1),
            ratio,
            "IMPORT_MAX_COMPRESSION_RATIO",
        )


def _megabytes(size: int) -> str:
    return format_number(size / 2**20, 1)


def _parser(part: str):
    """An expat parser that refuses any DTD: entities are declared there."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 64 * 1024
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse_dtd(*args) -> None:
        raise _dtd_refused(part)

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    return parser


def _dtd_refused(part: str) -> TableError:
    return TableError(
        _(
            'The file was refused: the part "%(part)s" of the workbook declares '
            "a DTD (XML entities), which spreadsheet programs never write and "
            "which can expand without end. Nothing was imported."
        )
        % {"part": part}
    )


def _parse(archive: zipfile.ZipFile, info: zipfile.ZipInfo, parser) -> None:
    """Stream one part through ``parser`` (a DTD-refusing one by default).

    ``ZipExtFile`` stops at the size the directory declared, which
    ``_check_directory`` has bounded, and checks the CRC at the end.
    """
    parser = parser or _parser(info.filename)
    try:
        with archive.open(info) as source:
            while chunk := source.read(_CHUNK):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise TableError(
            _(
                'The workbook cannot be read: its part "%(part)s" is damaged '
                "(%(error)s)."
            )
            % {"part": info.filename, "error": error}
        ) from None
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
        raise TableError(
            _("The file cannot be opened as an Excel (.xlsx) workbook.")
        ) from error


def _local(name: str) -> str:
    # "x:row" from writers that prefix the namespace
    return name.rpartition(":")[2]


def _attributes(archive, parts, name: str, element: str) -> list[dict[str, str]]:
    """The attributes of each ``element`` in the part ``name`` (a small one)."""
    found: list[dict[str, str]] = []
    info = parts.get(name)
    if info is None:
        return found
    parser = _parser(name)

    def start(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) == element:
            found.append({_local(key): value for key, value in attrs.items()})

    parser.StartElementHandler = start
    _parse(archive, info, parser)
    return found


def _sheet_parts(archive: zipfile.ZipFile, parts: dict) -> dict[str, str]:
    """Sheet name -> the path of its worksheet part, in workbook order."""
    workbook = "xl/workbook.xml"
    for rel in _attributes(archive, parts, "_rels/.rels", "Relationship"):
        if rel.get("Type", "").endswith("/officeDocument"):
            workbook = _resolve("", rel.get("Target", workbook))
    base = posixpath.dirname(workbook)
    rels_name = posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels")
    targets = {
        rel.get("Id"): _resolve(base, rel.get("Target", ""))
        for rel in _attributes(archive, parts, rels_name, "Relationship")
        if rel.get("Type", "").endswith("/worksheet")
    }
    return {
        sheet.get("name", ""): targets[sheet.get("id")]
        for sheet in _attributes(archive, parts, workbook, "sheet")
        if sheet.get("id") in targets
    }


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base, target))


def _cell_too_long(line: int, column: int, length: int, limit: int) -> TableError:
    return refuse(
        _("characters in row %(line)s, column %(column)s")
        % {"line": line, "column": column_letters(column)},
        length,
        limit,
        "IMPORT_MAX_CELL_CHARS",
    )


def column_letters(number: int) -> str:
    """ "A" for 1, "XFD" for 16384; the number itself past ten letters."""
    letters, left = "", number
    while left > 0 and len(letters) < 10:
        left, rest = divmod(left - 1, 26)
        letters = chr(65 + rest) + letters
    return letters if left == 0 else format_number(number)


def _column_number(reference: str) -> int:
    """1 for "A1", 28 for "AB7"; counting stops past the largest limit."""
    number = 0
    for char in reference:
        if "A" <= char <= "Z":
            number = number * 26 + ord(char) - 64
        elif "a" <= char <= "z":
            number = number * 26 + ord(char) - 96
        else:
            break
    return number


# Sheets are scanned with regular expressions over the raw XML: expat calls
# Python five times per cell, which costs more than reading the sheet.
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(row|c|f)(?=[\s/>])([^>]*)>")
# The r attribute however written: quotes of either kind, spaces around "=".
_ROW_OR_COLUMN = re.compile(rb"""(?:^|\s)(?:[\w.\-]+:)?r\s*=\s*(["'])(.*?)\1""", re.S)
_ANY_R = re.compile(rb"[\s:]r\s*=")
_FORMULA_TYPE = re.compile(rb'(?:^|\s)t="shared"')
_FORMULA_INDEX = re.compile(rb'(?:^|\s)si="([^"]*)"')
_ROW_REFERENCE = re.compile(rb'<(?:[A-Za-z_][\w.\-]*:)?row\s[^>]*?\br="(\d+)"')
_ROW_PLAIN = re.compile(rb'<row r="(\d{1,12})"')
_CELL_PLAIN = re.compile(rb'<c r="([A-Z]{1,12})\d')
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?c[\s/>]")
_CELL_REFERENCE = re.compile(
    rb'<(?:[A-Za-z_][\w.\-]*:)?c\s[^>]*?\br="([A-Za-z]{1,12})(\d{1,12})"'
)
# A cell whose first child is a formula; a cell holding an error value.
_FORMULA_CELL = re.compile(
    rb"<(?:[A-Za-z_][\w.\-]*:)?c\s([^>]*)>\s*<(?:[A-Za-z_][\w.\-]*:)?f(?=[\s/>])"
    rb"([^>]*)>"
)
_ERROR_CELL = re.compile(rb'<(?:[A-Za-z_][\w.\-]*:)?c\s([^>]*\bt="e"[^>]*)>')
_REFERENCE = re.compile(rb'\br="([A-Za-z]{1,12})(\d{1,12})"')
_ROW = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?row[\s/>]")
_VALUE = re.compile(rb"<(?:[\w.\-]+:)?v>([^<]{0,255})<")
_DTD = (b"<!DOCTYPE", b"<!ENTITY")
# UTF-8 continuation bytes: deleting them leaves one byte per character.
_CONTINUATION = bytes(range(0x80, 0xC0))
_CARRY_MAX = 8 * 1024 * 1024


def _chars(raw: bytes) -> int:
    """Characters of XML text: UTF-8 characters, an entity counting as one."""
    count = len(raw.translate(None, _CONTINUATION))
    if b"&" in raw:
        count -= sum(len(m) - 1 for m in re.findall(rb"&#?\w+;", raw))
    return count


def _buffers(archive, info):
    """The part's bytes in pieces cut before a "<": a tag is never split.

    Yields (bytes, clean): clean is False when the piece had to be cut
    inside a run of text longer than ``_CARRY_MAX``.
    """
    carry = b""
    try:
        with archive.open(info) as source:
            while chunk := source.read(_CHUNK):
                buffer = carry + chunk
                cut = buffer.rfind(b"<")
                if cut > 0:
                    yield buffer[:cut], True
                    carry = buffer[cut:]
                elif len(buffer) < _CARRY_MAX:
                    carry = buffer
                else:
                    yield buffer, False
                    carry = b""
        if carry:
            yield carry, True
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
        raise TableError(
            _("The file cannot be opened as an Excel (.xlsx) workbook.")
        ) from error


def _text_runs(archive, info, limit: int):
    """(buffer, long texts) per piece: the texts over ``limit`` characters.

    Each long text is (position in the buffer, characters); a text split
    across pieces is reported in the piece where it ends. Refuses a DTD.
    """
    gap = re.compile(rb">([^<]{%d,})" % (limit + 1))
    open_text: int | None = None
    for buffer, clean in _buffers(archive, info):
        if any(marker in buffer for marker in _DTD):
            raise _dtd_refused(info.filename)
        long: list[tuple[int, int]] = []
        if open_text is not None:
            end = buffer.find(b"<")
            open_text += _chars(buffer if end < 0 else buffer[:end])
            if end >= 0:
                if open_text > limit:
                    long.append((0, open_text))
                open_text = None
        for match in gap.finditer(buffer):
            chars = _chars(match[1])
            if chars > limit and not (not clean and match.end() == len(buffer)):
                long.append((match.start(), chars))
        if not clean and open_text is None:
            last = buffer.rfind(b">")
            open_text = _chars(buffer[last + 1 :])
        yield buffer, long
    if open_text is not None and open_text > limit:
        yield b"", [(0, open_text)]


def _scan_shared_strings(archive, info, limits: ImportLimits) -> None:
    """Refuse a shared string longer than the cell limit."""
    for _buffer, long in _text_runs(archive, info, limits.max_cell_chars):
        if long:
            raise refuse(
                _("characters in a text of the workbook's shared strings"),
                long[0][1],
                limits.max_cell_chars,
                "IMPORT_MAX_CELL_CHARS",
            )


def _scan_sheet(
    archive,
    info,
    scan: SheetScan,
    limits: ImportLimits,
    stop_after_rows: int | None,
) -> None:
    sheet = scan.name
    formulas = scan.formulas
    shared_formulas: dict[str, str] = {}
    row = column = 0

    def check_area() -> None:
        rows = scan.last_row - scan.first_row + 1
        columns = scan.last_column - scan.first_column + 1
        if rows * columns > limits.max_cells:
            raise refuse(
                _('cells spanned by sheet "%(sheet)s" (rows x columns)')
                % {"sheet": sheet},
                rows * columns,
                limits.max_cells,
                "IMPORT_MAX_CELLS",
            )

    runs = _text_runs(archive, info, limits.max_cell_chars)
    for buffer, long in runs:
        if not scan.complete:
            # Past ``stop_after_rows`` rows are only counted, at C speed.
            scan.rows += _count_rows(buffer)
            if scan.rows > limits.max_rows:
                raise refuse(
                    _('rows in sheet "%(sheet)s"') % {"sheet": sheet},
                    _("at least %(n)s") % {"n": format_number(scan.rows)},
                    limits.max_rows,
                    "IMPORT_MAX_ROWS",
                )
            continue
        fast = None if long else _referenced(buffer)
        if fast is not None and (
            stop_after_rows is None or scan.rows + fast[0] <= stop_after_rows
        ):
            # Every row and cell carries its reference (as spreadsheet
            # programs write them): the bounds come from a few findall calls.
            count, rows, columns = fast
            scan.rows += count
            if scan.rows > limits.max_rows:
                raise refuse(
                    _('rows in sheet "%(sheet)s"') % {"sheet": sheet},
                    _("at least %(n)s") % {"n": format_number(scan.rows)},
                    limits.max_rows,
                    "IMPORT_MAX_ROWS",
                )
            if rows:
                highest = max(rows)
                if highest > limits.max_rows:
                    raise refuse(
                        _('highest row used in sheet "%(sheet)s"') % {"sheet": sheet},
                        highest,
                        limits.max_rows,
                        "IMPORT_MAX_ROWS",
                    )
                if not scan.first_row:
                    scan.first_row = min(rows)
                scan.last_row = max(scan.last_row, highest)
                row = rows[-1]
            if columns:
                numbers = [_column_number(letters) for letters in columns]
                widest = max(numbers)
                if widest > limits.max_columns:
                    raise refuse(
                        _('highest column used in sheet "%(sheet)s"')
                        % {"sheet": sheet},
                        f"{column_letters(widest)} ({format_number(widest)})",
                        f"{column_letters(limits.max_columns)} "
                        f"({format_number(limits.max_columns)})",
                        "IMPORT_MAX_COLUMNS",
                    )
                if not scan.first_column or min(numbers) < scan.first_column:
                    scan.first_column = min(numbers)
                scan.last_column = max(scan.last_column, widest)
                column = _column_number(columns[-1])
            if scan.first_column:
                check_area()
            formula_free = b"<f" not in buffer and b":f" not in buffer
            for match in () if formula_free else _FORMULA_CELL.finditer(buffer):
                found = _REFERENCE.search(match[1])
                where = (int(found[2]), _column_number(found[1].decode()))
                formulas[where] = "=" + _formula_text(buffer, match, shared_formulas)
            error_free = b'"e"' not in buffer
            for match in () if error_free else _ERROR_CELL.finditer(buffer):
                found = _REFERENCE.search(match[1])
                value = _VALUE.search(buffer, match.end(), match.end() + 4096)
                if found and value:
                    where = (int(found[2]), _column_number(found[1].decode()))
                    scan.errors[where] = value[1].decode("utf-8", "replace")
            continue
        for match in _TAG.finditer(buffer):
            while long and long[0][0] < match.start():
                raise _cell_too_long(row, column, long[0][1], limits.max_cell_chars)
            kind, attrs = match[1], match[2]
            if kind == b"c":
                found = _reference(attrs, info.filename)
                column = _column_number(found.decode()) if found else column + 1
                if column > limits.max_columns:
                    raise refuse(
                        _('highest column used in sheet "%(sheet)s"')
                        % {"sheet": sheet},
                        f"{column_letters(column)} ({format_number(column)})",
                        f"{column_letters(limits.max_columns)} "
                        f"({format_number(limits.max_columns)})",
                        "IMPORT_MAX_COLUMNS",
                    )
                if not scan.first_column or column < scan.first_column:
                    scan.first_column = column
                    check_area()
                if column > scan.last_column:
                    scan.last_column = column
                    check_area()
                if b't="e"' in attrs:
                    value = _VALUE.search(buffer, match.end(), match.end() + 4096)
                    if value:
                        scan.errors[(row, column)] = value[1].decode("utf-8", "replace")
            elif kind == b"row":
                scan.rows += 1
                if scan.rows > limits.max_rows:
                    raise refuse(
                        _('rows in sheet "%(sheet)s"') % {"sheet": sheet},
                        _("at least %(n)s") % {"n": format_number(scan.rows)},
                        limits.max_rows,
                        "IMPORT_MAX_ROWS",
                    )
                if stop_after_rows is not None and scan.rows > stop_after_rows:
                    scan.complete = False
                    scan.rows += _count_rows(buffer[match.end() :])
                    break
                number = _reference(attrs, info.filename) or b""
                row = int(number) if number.isdigit() else row + 1
                if row > limits.max_rows:
                    raise refuse(
                        _('highest row used in sheet "%(sheet)s"') % {"sheet": sheet},
                        row,
                        limits.max_rows,
                        "IMPORT_MAX_ROWS",
                    )
                column = 0
                if not scan.first_row:
                    scan.first_row = row
                if row > scan.last_row:
                    scan.last_row = row
                    if scan.first_column:
                        check_area()
            else:  # a formula
                formulas[(row, column)] = "=" + _formula_text(
                    buffer, match, shared_formulas
                )
        if long and scan.complete:
            raise _cell_too_long(row, column, long[0][1], limits.max_cell_chars)


def _reference(attrs: bytes, part: str) -> bytes | None:
    """The r attribute of a row or cell; a second one is refused, since
    readers differ on which one wins."""
    found = _ROW_OR_COLUMN.findall(attrs)
    if len(found) > 1:
        raise TableError(
            _(
                'The workbook cannot be read: its part "%(part)s" is damaged '
                "(%(error)s)."
            )
            % {"part": part, "error": _("an element with two references")}
        )
    return found[0][1].strip() if found else None


def _referenced(buffer: bytes) -> tuple[int, list[int], list[str]] | None:
    """(row count, row numbers, distinct column letters, the last cell's
    last) when every row and cell in ``buffer`` has its reference; else
    None."""
    references = len(_ANY_R.findall(buffer))
    if b":c" not in buffer and b":row" not in buffer:
        # The way spreadsheet programs write it: literal searches only.
        rows = _ROW_PLAIN.findall(buffer)
        cells = _CELL_PLAIN.findall(buffer)
        if (
            len(rows) == buffer.count(b"<row ") + buffer.count(b"<row>")
            and len(cells)
            == buffer.count(b"<c ") + buffer.count(b"<c>") + buffer.count(b"<c/>")
            and references == len(rows) + len(cells)
        ):
            return len(rows), list(map(int, rows)), _letters(cells)
    rows = _ROW_REFERENCE.findall(buffer)
    if len(rows) != _count_rows(buffer):
        return None
    cells = [found[0] for found in _CELL_REFERENCE.findall(buffer)]
    if len(cells) != len(_CELL.findall(buffer)):
        return None
    if references != len(rows) + len(cells):
        return None
    return len(rows), list(map(int, rows)), _letters(cells)


def _letters(cells: list[bytes]) -> list[str]:
    """The distinct column letters, the last cell's last."""
    letters = list(dict.fromkeys(cells))
    if cells:
        letters.remove(cells[-1])
        letters.append(cells[-1])
    return [found.decode() for found in letters]


def _formula_text(buffer: bytes, match, shared: dict[bytes, str]) -> str:
    attrs = match[2]
    text = ""
    if not attrs.endswith(b"/"):
        end = buffer.find(b"<", match.end())
        raw = buffer[match.end() : end if end >= 0 else len(buffer)]
        text = unescape(raw.decode("utf-8", "replace"))
    if _FORMULA_TYPE.search(attrs):
        index = _FORMULA_INDEX.search(attrs)
        key = index[1] if index else b""
        text = shared.setdefault(key, text) if text else shared.get(key, "")
    return text


def _count_rows(buffer: bytes) -> int:
    return len(_ROW.findall(buffer))
