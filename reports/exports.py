"""Report pages as CSV, XLSX and PDF, from the same tables the page shows.

Every document is ``(filename, content_type, bytes)``, like the briefs. CSV
holds one table (the page has a CSV link under each); XLSX holds every table
of the page, one sheet each; the PDF prints the page. Header row, body rows,
then the total row, in the page's order. Numbers are written exactly (CHF to
the centime), where the page rounds them for reading.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.text import slugify

from crm.lib.pdf import PDF_CONTENT_TYPE, render_pdf_document
from reports.reporting import (
    DATE,
    INT,
    MONEY_KIND,
    NUMBER,
    PERCENT,
    Column,
    Report,
    Table,
    percent_text,
)

Document = tuple[str, str, bytes]
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Keep a text cell from being read as a formula (CSV injection)."""
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def raw_value(value: Any, kind: str) -> Any:
    """A cell as downloads write it: numbers stay numbers, None is empty."""
    if value is None or value == "":
        return ""
    if kind in (MONEY_KIND, PERCENT, INT, NUMBER) and isinstance(value, int | Decimal):
        return value
    if isinstance(value, dt.date):
        return value
    return str(value)


def plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros beyond the centime."""
    text = format(value, "f")
    if "." in text and len(text.split(".")[1]) > 2:
        text = text.rstrip("0").rstrip(".")
    return text


def csv_cell(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))


def _filename(report: Report, extension: str, suffix: str = "") -> str:
    stamp = timezone.localdate().isoformat()
    parts = [report.slug, slugify(report.subtitle.replace("–", "-")), suffix, stamp]
    return "-".join(p for p in parts if p) + f".{extension}"


def report_csv(report: Report, table_key: str | None = None) -> Document:
    """One table of the report (the first unless ``table_key``) as CSV."""
    table = report.table(table_key) if table_key else report.tables[0]
    buffer = io.StringIO()
    # The byte-order mark makes Excel read the file as UTF-8.
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([neutralise(str(c.label)) for c in table.columns])
    for values in table.all_rows():
        writer.writerow(
            [
                csv_cell(raw_value(v, c.kind))
                for v, c in zip(values, table.columns, strict=True)
            ]
        )
    return (
        _filename(report, "csv", table.key),
        CSV_CONTENT_TYPE,
        buffer.getvalue().encode("utf-8"),
    )


def _sheet_title(title: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", str(title)).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        tail = f" ({n})"
        name, n = base[: 31 - len(tail)] + tail, n + 1
    taken.add(name.lower())
    return name


NUMBER_FORMATS = {
    MONEY_KIND: "#,##0.00",
    PERCENT: "0.0",
    INT: "#,##0",
    DATE: "yyyy-mm-dd",
}


def report_xlsx(report: Report) -> Document:
    """Every table of the report, one sheet each, header row first."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    bold = Font(bold=True)
    for table in report.tables:
        sheet = workbook.create_sheet(_sheet_title(table.title, taken))
        sheet.append([str(c.label) for c in table.columns])
        for cell in sheet[1]:
            cell.font = bold
        rows = table.all_rows()
        for r, values in enumerate(rows, start=2):
            for col, (value, column) in enumerate(
                zip(values, table.columns, strict=True), start=1
            ):
                cell = sheet.cell(row=r, column=col)
                raw = raw_value(value, column.kind)
                cell.value = raw if raw != "" else None
                if isinstance(raw, str):
                    # Text stays text: a leading "=" is not a formula.
                    cell.data_type = "s"
                elif column.kind in NUMBER_FORMATS:
                    cell.number_format = NUMBER_FORMATS[column.kind]
            if table.total is not None and r == len(rows) + 1:
                for cell in sheet[r]:
                    cell.font = bold
        for col, column in enumerate(table.columns, start=1):
            letter = sheet.cell(row=1, column=col).column_letter
            sheet.column_dimensions[letter].width = max(
                12, min(45, len(str(column.label)) + 4)
            )
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _filename(report, "xlsx"), XLSX_CONTENT_TYPE, buffer.getvalue()


@dataclass(frozen=True)
class PrintedReport:
    """What the PDF base template reads (the same fields as a briefing pack)."""

    title: str
    language: str
    generated_at: dt.datetime
    generated_by: str
    marking: str = ""
    includes_confidential: bool = False


def report_pdf(report: Report, *, user=None, filters: str = "") -> Document:
    """The report's page as a PDF: headline figures, charts and tables."""
    from django.utils import translation

    title = f"{report.title} – {report.subtitle}"
    pack = PrintedReport(
        title=title,
        language=translation.get_language() or "en",
        generated_at=timezone.localtime(),
        generated_by=(user.get_full_name() or user.get_username()) if user else "",
    )
    rendered = render_pdf_document(
        "reports/pdf/report.html",
        {
            "pack": pack,
            "report": report,
            "tables": [present(t) for t in report.tables],
            "filters": filters,
        },
    )
    return _filename(report, "pdf"), PDF_CONTENT_TYPE, rendered.content


# What the page and the PDF show ------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str
    css: str


def display(value: Any, column: Column) -> Cell:
    css = "report-number" if column.is_number else ""
    if value is None or value == "":
        return Cell("–" if column.is_number else "", css)
    if column.kind == MONEY_KIND:
        return Cell(number_format(value, 0, force_grouping=True), css)
    if column.kind == INT:
        return Cell(number_format(value, 0, force_grouping=True), css)
    if column.kind == NUMBER:
        decimals = max(0, -Decimal(value).normalize().as_tuple().exponent)
        return Cell(number_format(value, decimals, force_grouping=True), css)
    if column.kind == PERCENT:
        return Cell(percent_text(value), css)
    if isinstance(value, dt.date):
        return Cell(date_format(value, "j M Y"), "report-date")
    return Cell(str(value), css)


@dataclass
class PresentedTable:
    table: Table
    headers: list[Cell]
    rows: list[list[Cell]]
    total: list[Cell] | None


def present(table: Table) -> PresentedTable:
    headers = [
        Cell(str(c.label), "report-number" if c.is_number else "")
        for c in table.columns
    ]
    rows = [
        [display(v, c) for v, c in zip(values, table.columns, strict=True)]
        for values in table.body()
    ]
    total = (
        [
            display(v, c)
            for v, c in zip(table.values(table.total), table.columns, strict=True)
        ]
        if table.total is not None
        else None
    )
    return PresentedTable(table=table, headers=headers, rows=rows, total=total)
