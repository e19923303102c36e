"""Reading CSV, TSV and XLSX files as people make them.

``read_table`` turns the bytes of an uploaded file into a ``Table``: the header
row found below any title and note rows, one ``Row`` per data row with the line
number the user sees, total rows set aside with a reason, and every mojibake
repair recorded. ``match_headers`` maps the file's headers to an importer's
fields. Problems with the file as a whole raise ``TableError`` with a message
for the user; problems with single values are left to the importer.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import chain, islice
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.lib.formats import format_number
from crm.lib.names import normalize_name, repair_mojibake
from crm.lib.parse import is_total_label
from crm.lib.spreadsheets import Formula, restore

if TYPE_CHECKING:
    from crm.lib.import_limits import ImportLimits

FORMATS = ("csv", "tsv", "xlsx")
HEADER_SEARCH_ROWS = 30
_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_CHARS = 64 * 1024
# The csv module refuses fields above its limit (131072 by default). The file
# is already in memory, so the limit protects nothing here; cell length is
# checked against ``max_cell_chars`` instead, naming row and column.
_CSV_FIELD_LIMIT = 2**31 - 1
_BINARY_SIGNATURES = {
    b"\x89PNG": gettext_lazy("PNG image"),
    b"%PDF": gettext_lazy("PDF document"),
    b"GIF8": gettext_lazy("GIF image"),
    b"\xff\xd8\xff": gettext_lazy("JPEG image"),
    b"\xd0\xcf\x11\xe0": gettext_lazy("old Excel (.xls) or Word document"),
    b"\x1f\x8b": gettext_lazy("gzip archive"),
    b"Rar!": gettext_lazy("RAR archive"),
    b"7z\xbc\xaf": gettext_lazy("7-Zip archive"),
}
# C0 controls that never appear in text files (tab, newlines, form feed and
# the DOS end-of-file mark do).
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x19\x1b-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


class TableError(ValueError):
    """The file as a whole cannot be read; the message is meant for the user."""


@dataclass(slots=True)
class Row:
    line: int
    values: dict[str, object]
    raw: list[object]


@dataclass(slots=True)
class SkippedRow:
    line: int
    reason: str
    raw: list[object]


@dataclass
class Table:
    headers: list[str]
    rows: list[Row]
    skipped: list[SkippedRow]
    header_line: int
    sheet: str | None
    sheet_names: list[str]
    encoding: str | None
    repairs: list[tuple[int, str, str, str]]
    notes: list[str]
    # Blank rows between data rows: not reported one by one, but counted.
    blank_rows: int = 0
    # Cells with U+FFFD, text a wrong decoding destroyed before the file was
    # saved ("C�te d'Ivoire"): (line, header, value); they cannot be repaired.
    damaged: list[tuple[int, str, str]] = field(default_factory=list)
    # The delimiter of a CSV/TSV file; None for a workbook.
    delimiter: str | None = None


@dataclass
class HeaderMatch:
    columns: dict[str, str]
    unknown: list[str]
    missing: list[str]


def header_key(text: object) -> str:
    """The comparison key of a header or synonym: "amountUSD" -> "amount usd"."""
    return normalize_name(_CAMEL.sub(" ", str(text)))


# ---------------------------------------------------------------------------
# Entry point


def read_table(
    data: bytes,
    *,
    filename: str = "",
    format: str | None = None,
    sheet: str | None = None,
    header_hints: Iterable[str] = (),
    max_cell_chars: int | None = None,
    limits: ImportLimits | None = None,
) -> Table:
    """Read a CSV, TSV or XLSX file into a Table, or raise TableError.

    The format is ``format`` when given, else XLSX for a ZIP file, else text.
    Text is decoded from its BOM, else as UTF-16 when NUL bytes alternate, else
    UTF-8, else Windows-1252; the delimiter (, ; tab |) is sniffed. The header is
    the row among the first 30 that best matches ``header_hints`` (field
    synonyms), or without a match the first row with two or more text cells
    followed by data. ``sheet`` is a sheet name (any case) or a 1-based
    position; by default the first sheet with a recognisable header is read.
    ``limits`` (the settings' by default) bound rows, columns, cells and cell
    length; a file over one raises ``LimitExceeded``, before it is expanded.
    """
    from crm.lib.import_limits import ImportLimits

    limits = limits or ImportLimits.from_settings()
    if max_cell_chars is not None:
        limits = replace(limits, max_cell_chars=max_cell_chars)
    hints = {key for key in map(header_key, header_hints) if key}
    if not data or not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise TableError(_("The file is empty."))
    kind = _detect_format(data, filename, format)
    if kind == "xlsx":
        return _read_xlsx(data, sheet, hints, limits)
    check_text_cells(data, limits)  # before decoding a 50 MB cell
    text, encoding = _decode(data)
    delimiter = "\t" if kind == "tsv" else _sniff_delimiter(text)
    return _read_text(text, encoding, delimiter, hints, limits)


def check_upload(data: bytes, filename: str) -> str:
    """The kind of an uploaded file by its content; TableError if not a table.

    An XLSX must be a ZIP holding the OOXML spreadsheet content types; any
    other file must read as text (CSV or TSV). The name's extension decides
    nothing except between CSV and TSV.
    """
    if not data:
        raise TableError(_("The file is empty."))
    kind = _detect_format(data, filename, None)
    if kind == "xlsx":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                # A few kilobytes in a real workbook; never inflate a bomb.
                if archive.getinfo("[Content_Types].xml").file_size > 2**20:
                    raise KeyError("[Content_Types].xml")
                types = archive.read("[Content_Types].xml")
        except (zipfile.BadZipFile, KeyError, OSError) as error:
            raise TableError(_("The file is not an Excel (.xlsx) workbook.")) from error
        if b"spreadsheetml" not in types:
            raise TableError(_("The file is not an Excel (.xlsx) workbook."))
        return kind
    _decode(data[: 64 * 1024])
    return kind


def check_text_cells(data: bytes, limits: ImportLimits | None = None) -> None:
    """Refuse a CSV/TSV whose run of text without a delimiter or line break
    is longer than a cell may be: found at C speed, before the file is read
    (a longer cell holding delimiters in quotes is refused when it is read).
    """
    from crm.lib.import_limits import ImportLimits, refuse

    limits = limits or ImportLimits.from_settings()
    limit = limits.max_cell_chars
    if len(data) <= limit or data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return
    run = re.compile(rb"[^,;\t|\r\n]{%d,}" % (limit + 1)).search(data)
    if run is None:
        return
    text = run[0].decode("utf-8", "replace").strip('"')
    if len(text) > limit:
        line_start = data.rfind(b"\n", 0, run.start()) + 1
        before = data[line_start : run.start()]
        end = data.find(b"\n")
        first = data[: min(end if end >= 0 else limit, limit, run.start())]
        delimiter = max(
            (b",", b";", b"\t", b"|"), key=lambda char: (before + first).count(char)
        )
        column = before.count(delimiter) + 1
        names = first.decode("utf-8", "replace").split(delimiter.decode())
        if line_start and column <= len(names) and names[column - 1].strip():
            # Most files start with their header: name the column by it.
            column = f'{column} ("{names[column - 1].strip().strip(chr(34))}")'
        raise refuse(
            _("characters in line %(line)s, column %(column)s")
            % {
                "line": format_number(data.count(b"\n", 0, run.start()) + 1),
                "column": column,
            },
            len(text),
            limit,
            "IMPORT_MAX_CELL_CHARS",
        )


def _detect_format(data: bytes, filename: str, format: str | None) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    is_zip = data.startswith(b"PK\x03\x04")
    if format:
        kind = format.lower().lstrip(".")
        if kind not in FORMATS:
            raise TableError(
                _('Unknown format "%(format)s": use one of %(formats)s.')
                % {"format": format, "formats": ", ".join(FORMATS)}
            )
        if kind == "xlsx" and not is_zip:
            raise TableError(_("The file is not an Excel (.xlsx) workbook."))
        if kind != "xlsx" and is_zip:
            raise TableError(
                _("The file is a ZIP archive or an Excel workbook, not %(format)s.")
                % {"format": kind.upper()}
            )
        return kind
    if is_zip:
        return "xlsx"
    for signature, what in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise TableError(
                _(
                    "The file is a %(what)s, not a table: upload CSV, TSV or "
                    "XLSX (Excel 97-2003 files must be saved as .xlsx)."
                )
                % {"what": what}
            )
    if extension in ("xlsx", "xlsm"):
        raise TableError(_("The file is not an Excel (.xlsx) workbook."))
    return "tsv" if extension in ("tsv", "tab") else "csv"


# ---------------------------------------------------------------------------
# Text files


def _decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV/TSV file and the encoding it was read with."""
    attempts: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        attempts.append("utf-8-sig")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        attempts.append("utf-16")
    else:
        # Checked before UTF-8: ASCII in UTF-16 is valid UTF-8 full of NULs.
        sample = data[:4096]
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        half = max(len(sample) // 2, 1)
        if odd > half * 0.3 and even < half * 0.05:
            attempts.append("utf-16-le")
        elif even > half * 0.3 and odd < half * 0.05:
            attempts.append("utf-16-be")
        attempts += ["utf-8", "cp1252"]
    for encoding in attempts:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        # cp1252 leaves five bytes undefined; Latin-1 maps every byte.
        encoding, text = "latin-1", data.decode("latin-1")
    if encoding == "utf-16":
        encoding = "utf-16-le" if data.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
    text = text.removeprefix("\ufeff")
    controls = len(_CONTROL.findall(text[:_SNIFF_CHARS]))
    if "\x00" in text or controls > max(3, len(text[:_SNIFF_CHARS]) // 1000):
        raise TableError(
            _(
                "The file looks like a binary file, not CSV or TSV text: "
                "upload CSV, TSV or XLSX."
            )
        )
    return text, encoding


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the most sample rows into the same number of
    fields; title rows above the header hardly count."""
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        try:
            reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            counts = Counter(len(record) for record in islice(reader, 100))
        except csv.Error:
            continue
        # Rows of the same width, weighted by the cells they split off: a
        # decimal comma splits "1.000,50" in two, a real delimiter in more.
        score = max(
            ((n * (width - 1), width) for width, n in counts.items() if width > 1),
            default=(0, 0),
        )
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_text(
    text: str, encoding: str, delimiter: str, hints: set[str], limits: ImportLimits
) -> Table:
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def records() -> Iterator[tuple[int, list[object]]]:
        start = 1
        try:
            for record in reader:
                # A text cell our own downloads neutralised reads as written.
                yield start, [restore(value) for value in record]
                start = reader.line_num + 1
        except csv.Error as error:
            raise TableError(
                _("Line %(line)s cannot be read: %(error)s.")
                % {"line": start, "error": error}
            ) from None

    table = _build_table(records(), hints, limits, sheet=None, names=[], missing="")
    if table is None:
        raise _no_header()
    table.encoding = encoding
    table.delimiter = delimiter
    return table


# ---------------------------------------------------------------------------
# XLSX files


def _read_xlsx(data: bytes, sheet: str | None, hints: set[str], limits) -> Table:
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

    from crm.lib.xlsx_guard import inspect_xlsx

    scan = inspect_xlsx(data, limits)  # refuses what would not fit, unexpanded
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError) as error:
        raise TableError(
            _("The file cannot be opened as an Excel (.xlsx) workbook.")
        ) from error
    try:
        names = [
            meta.name
            for meta in workbook.sheets_metadata
            if meta.typ == SheetTypeEnum.WorkSheet
        ]
        if not names:
            raise TableError(_("The workbook has no sheets."))
        if sheet is not None and str(sheet).strip() != "":
            chosen = [_pick_sheet(names, str(sheet))]
        else:
            chosen = names
        loaded: dict[str, object] = {}

        def records(name: str) -> Iterator[tuple[int, list[object]]]:
            if name not in loaded:
                loaded[name] = workbook.get_sheet_by_name(name)
            sheet_scan = scan.sheets.get(name)
            if sheet_scan is None:
                return _xlsx_records(loaded[name], {})
            return _xlsx_records(loaded[name], sheet_scan.formulas, sheet_scan.errors)

        # With hints, prefer the first sheet whose header matches them; else the
        # first sheet with any recognisable header.
        passes = [hints, set()] if hints else [set()]
        for pass_hints in passes:
            for name in chosen:
                head = list(islice(records(name), HEADER_SEARCH_ROWS))
                # A one-column "Read me" sheet is not the table, unless asked for.
                single_column = len(chosen) == 1
                found = _find_header(
                    head,
                    pass_hints,
                    strict=bool(pass_hints),
                    single_column=single_column,
                )
                if found is None:
                    continue
                table = _build_table(
                    records(name),
                    hints,
                    limits,
                    name,
                    names,
                    single_column=single_column,
                )
                if table is not None:
                    return table
        if sheet is not None and str(sheet).strip() != "":
            raise _no_header(chosen[0])
        raise _no_header()
    except TableError:
        raise
    except Exception as error:
        # calamine raises its own errors, and others, on damaged workbooks.
        raise TableError(
            _("The workbook cannot be read: it may be damaged (%(error)s).")
            % {"error": type(error).__name__}
        ) from error
    finally:
        workbook.close()


def _pick_sheet(names: list[str], wanted: str) -> str:
    key = wanted.strip().casefold()
    for name in names:
        if name.strip().casefold() == key:
            return name
    if key.isdigit() and 1 <= int(key) <= len(names):
        return names[int(key) - 1]
    raise TableError(
        _('There is no sheet "%(sheet)s" in the workbook; its sheets are: %(names)s.')
        % {"sheet": wanted, "names": ", ".join(f'"{name}"' for name in names)}
    )


def _xlsx_records(
    worksheet,
    formulas: dict[tuple[int, int], str],
    errors: dict[tuple[int, int], str] | None = None,
) -> Iterator[tuple[int, list[object]]]:
    """Rows of a calamine worksheet as openpyxl reads them.

    Line numbers and columns are the sheet's own (calamine starts at the first
    used cell); empty cells are None, dates are datetimes, and the cells the
    guard saw holding a formula are ``Formula`` (calamine gives their cached
    value, which an import must not take for data); error cells ("#N/A"),
    which calamine reads as empty, keep their text as openpyxl does.
    """
    by_row: dict[int, dict[int, object]] = {}
    for (row, column), text in (errors or {}).items():
        by_row.setdefault(row, {})[column] = text
    for (row, column), text in formulas.items():
        by_row.setdefault(row, {})[column] = Formula(text)
    # iter_rows starts at the sheet's first row but at its first used column.
    first_column = (worksheet.start or (0, 0))[1]
    padding = [None] * first_column
    line = 0
    for offset, cells in enumerate(worksheet.iter_rows()):
        line = offset + 1
        record: list[object] = [*padding]
        for value in cells:
            if value == "":
                value = None
            elif type(value) is datetime.date:
                value = datetime.datetime.combine(value, datetime.time())
            record.append(value)
        _put_formulas(record, by_row.pop(line, None))
        while record and record[-1] is None:
            record.pop()
        yield line, record
    # Rows holding only formulas without a cached value, below calamine's range.
    for row in sorted(by_row):
        if row > line:
            record = []
            _put_formulas(record, by_row[row])
            yield row, record


def _put_formulas(record: list[object], values: dict[int, object] | None) -> None:
    for column, value in (values or {}).items():
        if column > len(record):
            record.extend([None] * (column - len(record)))
        record[column - 1] = value


# ---------------------------------------------------------------------------
# Shared: header, rows, totals


def _no_header(sheet: str | None = None) -> TableError:
    if sheet:
        return TableError(
            _(
                'No header row found in the first %(n)s rows of sheet "%(sheet)s": '
                "the file needs a row of column names."
            )
            % {"n": HEADER_SEARCH_ROWS, "sheet": sheet}
        )
    return TableError(
        _(
            "No header row found in the first %(n)s rows: the file needs a row "
            "of column names."
        )
        % {"n": HEADER_SEARCH_ROWS}
    )


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_text(value: object) -> bool:
    return (
        isinstance(value, str)
        and bool(value.strip())
        and not _NUMBERISH.match(value.strip())
    )


_NUMBERISH = re.compile(r"^[-+(]?[\d\s.,'’]+\)?%?$")


def _hint_score(record: list[object], hints: set[str]) -> int:
    score = 0
    for value in record:
        if not isinstance(value, str) or not value.strip():
            continue
        key = header_key(value)
        if key in hints or any(_contains_words(key, hint) for hint in hints):
            score += 1
    return score


def _contains_words(text: str, words: str) -> bool:
    return f" {words} " in f" {text} "


def _find_header(
    head: list[tuple[int, list[object]]],
    hints: set[str],
    *,
    strict: bool = False,
    single_column: bool = True,
) -> int | None:
    """The index in ``head`` of the header row, or None."""
    if hints:
        scores = [_hint_score(record, hints) for _line, record in head]
        best = max(scores, default=0)
        if best >= min(2, len(hints)):
            return scores.index(best)
        if strict:
            return None
    non_blank = [
        index
        for index, (_line, record) in enumerate(head)
        if any(not _is_blank(value) for value in record)
    ]
    for position, index in enumerate(non_blank):
        record = head[index][1]
        if sum(_is_text(value) for value in record) < 2:
            continue
        following = non_blank[position + 1 : position + 2]
        if not following or sum(not _is_blank(v) for v in head[following[0]][1]) >= 2:
            return index
    # A one-column file: its first non-blank row names the column.
    if (
        single_column
        and non_blank
        and all(sum(not _is_blank(v) for v in head[i][1]) <= 1 for i in non_blank)
        and _is_text(next(v for v in head[non_blank[0]][1] if not _is_blank(v)))
    ):
        return non_blank[0]
    return None


def _make_headers(record: list[object]) -> list[str]:
    cells = list(record)
    while cells and _is_blank(cells[-1]):
        cells.pop()
    headers: list[str] = []
    seen: set[str] = set()
    for index, value in enumerate(cells, start=1):
        text = "" if _is_blank(value) else _SPACES.sub(" ", str(value)).strip()
        text = repair_mojibake(text) or _("Column %(n)s") % {"n": index}
        headers.append(_unique(text, seen))
    return headers


def _header_repairs(line: int, record: list[object]) -> list[tuple[int, str, str, str]]:
    repairs = []
    for value in record:
        if isinstance(value, str):
            before = _SPACES.sub(" ", value).strip()
            after = repair_mojibake(before)
            if after != before:
                repairs.append((line, after, before, after))
    return repairs


def _unique(text: str, seen: set[str]) -> str:
    name, n = text, 1
    while name.casefold() in seen:
        n += 1
        name = f"{text} ({n})"
    seen.add(name.casefold())
    return name


def _build_table(
    records: Iterator[tuple[int, list[object]]],
    hints: set[str],
    limits: ImportLimits,
    sheet: str | None,
    names: list[str],
    missing: object = None,
    single_column: bool = True,
) -> Table | None:
    head = list(islice(records, HEADER_SEARCH_ROWS))
    header_index = _find_header(head, hints, single_column=single_column)
    if header_index is None:
        return None
    header_line, header_record = head[header_index]
    notes = [
        " ".join(str(v).strip() for v in record if not _is_blank(v))
        for _line, record in head[:header_index]
        if any(not _is_blank(v) for v in record)
    ]
    max_cell_chars = limits.max_cell_chars
    _check_lengths(header_line, header_record, [], max_cell_chars)
    _check_width(header_line, header_record, limits)
    headers = _make_headers(header_record)
    header_texts = [
        "" if _is_blank(v) else _SPACES.sub(" ", str(v)).strip().casefold()
        for v in header_record
    ]
    seen = {h.casefold() for h in headers}
    table = Table(
        headers=headers,
        rows=[],
        skipped=[],
        header_line=header_line,
        sheet=sheet,
        sheet_names=names,
        encoding=None,
        repairs=_header_repairs(header_line, header_record),
        notes=notes,
    )
    rows, skipped, repairs = table.rows, table.skipped, table.repairs
    pending_blank = 0
    cells = 0
    for line, record in chain(head[header_index + 1 :], records):
        if len(record) > limits.max_columns:
            _check_width(line, record, limits)
        cells += len(record)
        if cells > limits.max_cells or len(rows) + len(skipped) >= limits.max_rows:
            _check_size(len(rows) + len(skipped) + 1, cells, limits)
        values: dict[str, object] = {}
        blank = True
        for index, value in enumerate(record):
            if isinstance(value, str):
                if len(value) > max_cell_chars:
                    _check_lengths(line, record, headers, max_cell_chars)
                stripped = value.strip()
                if not stripped:
                    value = ""
                else:
                    blank = False
                    if stripped is not value:
                        value = stripped
                    repaired = repair_mojibake(value)
                    if repaired is not value and repaired != value:
                        repairs.append((line, _header(headers, index), value, repaired))
                        value = repaired
                    if "\ufffd" in value:
                        table.damaged.append((line, _header(headers, index), value))
            elif value is not None:
                blank = False
            if index >= len(headers):
                if _is_blank(value):
                    continue
                while len(headers) <= index:
                    headers.append(
                        _unique(_("Column %(n)s") % {"n": len(headers) + 1}, seen)
                    )
            values[headers[index]] = value
        if blank:
            pending_blank += 1
            continue
        table.blank_rows += pending_blank
        pending_blank = 0
        label = _total_label(record)
        if label is not None:
            skipped.append(
                SkippedRow(
                    line,
                    _('Total row ("%(label)s") skipped.') % {"label": label},
                    record,
                )
            )
        elif len(record) >= 2 and _is_repeated_header(record, header_texts):
            skipped.append(SkippedRow(line, _("Repeated header row skipped."), record))
        else:
            for name in headers[len(record) :]:
                values.setdefault(name, missing)
            rows.append(Row(line, values, record))
    if len(headers) > len(header_texts):
        # Columns found below the header: earlier rows get them too, empty.
        for row in rows:
            for name in headers:
                row.values.setdefault(name, missing)
    _set_aside_footnotes(table)
    return table


def _set_aside_footnotes(table: Table) -> None:
    """Move notes typed below the table ("* Provisional figure.") to skipped.

    Only trailing rows with a single text cell in a table of three or more
    columns qualify: a data row fills more than one cell.
    """
    if len(table.headers) < 3:
        return
    footnotes: list[SkippedRow] = []
    while table.rows:
        row = table.rows[-1]
        filled = [value for value in row.raw if not _is_blank(value)]
        if len(filled) != 1 or not isinstance(filled[0], str):
            break
        table.rows.pop()
        footnotes.append(
            SkippedRow(
                row.line,
                _('Note below the table ("%(text)s") skipped.')
                % {"text": filled[0].strip()},
                row.raw,
            )
        )
    table.skipped.extend(reversed(footnotes))


def _header(headers: list[str], index: int) -> str:
    return (
        headers[index] if index < len(headers) else _("Column %(n)s") % {"n": index + 1}
    )


def _check_lengths(
    line: int, record: list[object], headers: list[str], max_cell_chars: int
) -> None:
    for index, value in enumerate(record):
        if isinstance(value, str) and len(value) > max_cell_chars:
            raise TableError(
                _(
                    'Row %(line)s, column "%(column)s": the cell holds %(length)s '
                    "characters, more than the limit of %(limit)s (setting "
                    "IMPORT_MAX_CELL_CHARS)."
                )
                % {
                    "line": line,
                    "column": _header(headers, index) if headers else index + 1,
                    "length": format_number(len(value)),
                    "limit": format_number(max_cell_chars),
                }
            )


def _check_width(line: int, record: list[object], limits: ImportLimits) -> None:
    from crm.lib.import_limits import refuse

    if len(record) > limits.max_columns:
        raise refuse(
            _("columns in row %(line)s") % {"line": line},
            len(record),
            limits.max_columns,
            "IMPORT_MAX_COLUMNS",
        )


def _check_size(rows: int, cells: int, limits: ImportLimits) -> None:
    from crm.lib.import_limits import refuse

    if rows > limits.max_rows:
        raise refuse(
            _("rows below the header"),
            _("at least %(n)s") % {"n": format_number(rows)},
            limits.max_rows,
            "IMPORT_MAX_ROWS",
        )
    if cells > limits.max_cells:
        raise refuse(
            _("cells below the header"),
            _("at least %(n)s") % {"n": format_number(cells)},
            limits.max_cells,
            "IMPORT_MAX_CELLS",
        )


def _total_label(record: list[object]) -> str | None:
    """The total label among the first three filled cells of a row, if any."""
    filled = (value for value in record if not _is_blank(value))
    for value in islice(filled, 3):
        if isinstance(value, str) and is_total_label(value):
            return value.strip()
    return None


def _is_repeated_header(record: list[object], header_texts: list[str]) -> bool:
    """Whether a row repeats the header, as multi-page exports do."""
    return all(
        isinstance(value, str) and value.strip().casefold() == text
        for value, text in zip(record, header_texts, strict=False)
        if not _is_blank(value)
    )


# ---------------------------------------------------------------------------
# Headers to fields


def match_headers(
    headers: list[str], synonyms: dict[str, Iterable[str]]
) -> HeaderMatch:
    """Map each field to the file's column for it.

    Comparison ignores case, accents and punctuation (``header_key``). A header
    equal to one of a field's synonyms (or to the field's name) wins; then a
    header that contains a synonym as whole words ("Amount (CHF)" for
    "amount"), longer synonyms first. Each header serves one field.
    """
    keys = [header_key(header) for header in headers]
    field_synonyms = {
        name: [key for key in dict.fromkeys(map(header_key, [name, *syns])) if key]
        for name, syns in synonyms.items()
    }
    columns: dict[str, str] = {}
    taken: set[int] = set()
    for name, syns in field_synonyms.items():
        for syn in syns:
            index = next(
                (i for i, key in enumerate(keys) if key == syn and i not in taken),
                None,
            )
            if index is not None:
                columns[name] = headers[index]
                taken.add(index)
                break
    candidates = sorted(
        (
            (-len(syn), field_order, index, name)
            for field_order, (name, syns) in enumerate(field_synonyms.items())
            if name not in columns
            for syn in syns
            for index, key in enumerate(keys)
            if _contains_words(key, syn)
        ),
    )
    for _length, _order, index, name in candidates:
        if name in columns or index in taken:
            continue
        columns[name] = headers[index]
        taken.add(index)
    return HeaderMatch(
        columns={name: columns[name] for name in synonyms if name in columns},
        unknown=[h for i, h in enumerate(headers) if i not in taken],
        missing=[name for name in synonyms if name not in columns],
    )
