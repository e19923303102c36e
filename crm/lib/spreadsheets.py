"""Writing downloads: CSV, TSV and XLSX bytes from rows, safe to open.

Every spreadsheet the application hands out (a list's *Export*, the report
pages' downloads, an import's error report) is written here, so one rule keeps
a cell from running as a formula when the file is opened (CSV injection):

- CSV and TSV: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or
  a carriage return gets a leading apostrophe, which spreadsheets read as
  "this is text". A cell that is a plain number ("-1250.50") is left alone: it
  evaluates to itself, and an apostrophe would turn an amount into text.
  ``restore`` takes the apostrophe off again when such a file is imported.
- XLSX: text is written as a string cell, never as a formula, whatever it
  starts with. Only a ``Formula`` the code itself builds is written as one.

Numbers stay numbers, dates are ISO dates in CSV and date cells in XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
TSV_CONTENT_TYPE = "text/tab-separated-values; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
# Characters XLSX (XML 1.0) cannot hold: C0 controls but tab, LF and CR.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Formula:
    """A spreadsheet formula, ``=`` included.

    Written as a formula only when the code builds one; the XLSX reader hands
    importers a formula cell as one (imports want values, not formulas).
    """

    text: str

    def __str__(self) -> str:
        return self.text


def neutralise(text: str) -> str:
    """A CSV/TSV text cell that no spreadsheet runs as a formula."""
    if text.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(text):
        return f"'{text}"
    return text


def restore(text: str) -> str:
    """The text ``neutralise`` was given: what an import reads from a download."""
    if text[:1] == "'" and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


def plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros beyond the centime."""
    text = format(value, "f")
    if "." in text and len(text.split(".")[1]) > 2:
        text = text.rstrip("0").rstrip(".")
    return text


def text_cell(value: object) -> str:
    """One CSV/TSV cell: numbers and dates written plainly, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime):
        return _naive(value).isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return neutralise(str(value))


def csv_bytes(
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    delimiter=",",
    preamble: Sequence[Sequence[object]] = (),
) -> bytes:
    """A CSV (or, with ``delimiter="\\t"``, TSV) file in UTF-8 with a BOM.

    The byte-order mark makes Excel read the file as UTF-8. ``preamble`` rows
    (what the file is: filters, date, author) come first, then an empty row.
    """
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for line in preamble:
        writer.writerow([text_cell(v) for v in line])
    if preamble:
        writer.writerow([])
    writer.writerow([text_cell(v) for v in header])
    for row in rows:
        writer.writerow([text_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def tsv_bytes(header: Sequence[object], rows: Iterable[Sequence[object]]) -> bytes:
    return csv_bytes(header, rows, delimiter="\t")


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a bold header row, then ``rows``.

    ``number_formats`` gives an Excel number format per column (None: the
    default); ``bold_last_row`` sets off a total row; ``widths`` are column
    widths in characters (None: the default). ``preamble`` rows (what the
    sheet is: filters, date, author) go above the header, then an empty row.
    """

    title: str
    header: Sequence[object]
    rows: Iterable[Sequence[object]]
    number_formats: Sequence[str | None] = ()
    widths: Sequence[int | None] = ()
    bold_last_row: bool = False
    preamble: Sequence[Sequence[object]] = ()


def xlsx_bytes(sheets: Iterable[Sheet]) -> bytes:
    """A workbook with one worksheet per ``Sheet``; text never becomes a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    bold = Font(bold=True)
    for spec in sheets:
        sheet = workbook.create_sheet(sheet_title(spec.title, taken))
        for r, line in enumerate(spec.preamble, start=1):
            for col, value in enumerate(line, start=1):
                _set(sheet.cell(row=r, column=col), value)
            if r == 1:
                sheet.cell(row=1, column=1).font = bold
        top = len(spec.preamble) + 2 if spec.preamble else 1
        for col, label in enumerate(spec.header, start=1):
            cell = sheet.cell(row=top, column=col)
            _set(cell, label)
            cell.font = bold
        last = top
        for r, values in enumerate(spec.rows, start=top + 1):
            last = r
            for col, value in enumerate(values, start=1):
                cell = sheet.cell(row=r, column=col)
                _set(cell, value)
                if col <= len(spec.number_formats) and not isinstance(value, str):
                    number_format = spec.number_formats[col - 1]
                    if number_format and value is not None:
                        cell.number_format = number_format
        if spec.bold_last_row and last > top:
            for cell in sheet[last]:
                cell.font = bold
        for col, width in enumerate(spec.widths, start=1):
            if width:
                sheet.column_dimensions[get_column_letter(col)].width = width
        sheet.freeze_panes = f"A{top + 1}"
    if not workbook.worksheets:
        workbook.create_sheet("Sheet")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_title(title: object, taken: set[str]) -> str:
    """A worksheet name Excel accepts, unique among ``taken`` (updated)."""
    base = re.sub(r"[\[\]:*?/\\]", " ", str(title)).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        tail = f" ({n})"
        name, n = base[: 31 - len(tail)] + tail, n + 1
    taken.add(name.lower())
    return name


def _set(cell, value: object) -> None:
    if value is None or value == "":
        cell.value = None
    elif isinstance(value, Formula):
        text = value.text if value.text.startswith("=") else f"={value.text}"
        cell.value = text
        cell.data_type = "f"
    elif isinstance(value, bool | int | float | Decimal):
        cell.value = value
    elif isinstance(value, dt.datetime):
        cell.value = _naive(value)
    elif isinstance(value, dt.date | dt.time):
        cell.value = value
    else:
        # Text stays text: a leading "=" is not a formula.
        cell.value = _NOT_IN_XML.sub("\ufffd", str(value))
        cell.data_type = "s"


def _naive(value: dt.datetime) -> dt.datetime:
    """Spreadsheets have no time zones: local wall-clock time."""
    if timezone.is_aware(value):
        return timezone.make_naive(value)
    return value
