"""Report pages as CSV, XLSX and PDF, from the same tables the page shows.

Every document is ``(filename, content_type, bytes)``, like the briefs, and
says what it is (``About``): header rows above each CSV table and XLSX sheet,
a heading in the PDF, with the filters, the date and who produced it; the
file name carries the period and the main filters. CSV
holds one table (the page has a CSV link under each); XLSX holds every table
of the page, one sheet each; the PDF prints the page. Header row, body rows,
then the total row, in the page's order. Numbers are written exactly (CHF to
the centime), where the page rounds them for reading.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from crm.lib import spreadsheets
from crm.lib.formats import format_number
from crm.lib.names import user_name
from crm.lib.pdf import PDF_CONTENT_TYPE, render_pdf_document
from reports.figures.tables import (
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


def raw_value(value: Any, kind: str) -> Any:
    """A cell as downloads write it: numbers stay numbers, None is empty."""
    if value is None or value == "":
        return None
    if kind in (MONEY_KIND, PERCENT, INT, NUMBER) and isinstance(value, int | Decimal):
        return value
    if isinstance(value, dt.date):
        return value
    return str(value)


@dataclass(frozen=True)
class About:
    """What a download says it is: its filters, when, by whom, in which language.

    ``filters`` are (label, value) pairs (``ReportFilterSet.described``);
    ``targets_note`` says when the filters narrow the money but not the
    targets; ``name_parts`` go into the file name.
    """

    filters: tuple[tuple[str, str], ...] = ()
    name_parts: tuple[str, ...] = ()
    targets_note: str = ""
    produced_at: dt.datetime | None = None
    produced_by: str = ""
    language: str = ""

    @property
    def produced_text(self) -> str:
        moment = timezone.localtime(self.produced_at)
        when = date_format(moment, "j F Y, H:i")
        if self.produced_by:
            return _("%(when)s by %(who)s") % {"when": when, "who": self.produced_by}
        return when

    def filters_text(self) -> str:
        return "; ".join(f"{label}: {value}" for label, value in self.filters)

    def preamble(self, report: Report) -> list[list[Any]]:
        """Header rows for a sheet or a CSV file: title, filters, date, author."""
        rows: list[list[Any]] = [[str(report.title)]]
        rows.extend([label, value] for label, value in self.filters)
        if self.targets_note:
            rows.append([_("Target"), self.targets_note])
        rows.append([_("Produced"), self.produced_text])
        return rows


def about_download(filterset, *, user=None, targets: bool = False) -> About:
    """The ``About`` of a report download from its filters and its reader."""
    blind = filterset.targets_not_narrowed_by() if targets else []
    return About(
        filters=tuple(filterset.described()),
        name_parts=tuple(filterset.filename_parts()),
        targets_note=targets_note(blind),
        produced_at=timezone.now(),
        produced_by=user_name(user),
        language=translation.get_language() or "en",
    )


def targets_note(blind: list[str]) -> str:
    """ "global, not narrowed by ITU region, Partner category" or ""."""
    if not blind:
        return ""
    return _("global, not narrowed by %(filters)s") % {"filters": ", ".join(blind)}


def _filename(report: Report, extension: str, about: About, suffix: str = "") -> str:
    """E.g. mobilization_2026_europe-government_en.xlsx."""
    parts = about.name_parts or (slugify(report.subtitle.replace("–", "-")),)
    language = about.language or translation.get_language() or "en"
    names = [report.slug, *parts, suffix, language]
    return "_".join(p for p in names if p) + f".{extension}"


def _rows(table: Table) -> list[list[Any]]:
    return [
        [raw_value(v, c.kind) for v, c in zip(values, table.columns, strict=True)]
        for values in table.all_rows()
    ]


def report_csv(
    report: Report, table_key: str | None = None, *, about: About | None = None
) -> Document:
    """One table of the report (the first unless ``table_key``) as CSV."""
    about = about or About()
    table = report.table(table_key) if table_key else report.tables[0]
    content = spreadsheets.csv_bytes(
        [str(c.label) for c in table.columns],
        _rows(table),
        preamble=[*about.preamble(report), [str(table.title)]],
    )
    return (
        _filename(report, "csv", about, table.key),
        spreadsheets.CSV_CONTENT_TYPE,
        content,
    )


NUMBER_FORMATS = {
    MONEY_KIND: "#,##0.00",
    PERCENT: "0.0",
    INT: "#,##0",
    DATE: "yyyy-mm-dd",
}


def report_xlsx(report: Report, *, about: About | None = None) -> Document:
    """Every table of the report, one sheet each, under the header rows."""
    about = about or About()
    sheets = [
        spreadsheets.Sheet(
            title=str(table.title),
            header=[str(c.label) for c in table.columns],
            rows=_rows(table),
            number_formats=[NUMBER_FORMATS.get(c.kind) for c in table.columns],
            widths=[max(12, min(45, len(str(c.label)) + 4)) for c in table.columns],
            bold_last_row=table.total is not None,
            preamble=[*about.preamble(report), [str(table.title)]],
        )
        for table in report.tables
    ]
    content = spreadsheets.xlsx_bytes(sheets)
    return _filename(report, "xlsx", about), spreadsheets.XLSX_CONTENT_TYPE, content


@dataclass(frozen=True)
class PrintedReport:
    """What the PDF base template reads (the same fields as a briefing pack)."""

    title: str
    language: str
    generated_at: dt.datetime
    generated_by: str
    marking: str = ""
    includes_confidential: bool = False


def report_pdf(report: Report, *, user=None, about: About | None = None) -> Document:
    """The report's page as a PDF: what it is, headline figures, charts, tables."""
    about = about or About(produced_by=user_name(user))
    title = f"{report.title} – {report.subtitle}"
    pack = PrintedReport(
        title=title,
        language=translation.get_language() or "en",
        generated_at=timezone.localtime(),
        generated_by=user_name(user),
    )
    rendered = render_pdf_document(
        "reports/pdf/report.html",
        {
            "pack": pack,
            "report": report,
            "tables": [present(t) for t in report.tables],
            "about": about,
        },
    )
    return _filename(report, "pdf", about), PDF_CONTENT_TYPE, rendered.content


# What the page and the PDF show ------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str
    css: str


def display(value: Any, column: Column) -> Cell:
    css = "report-number" if column.is_number else ""
    if value is None or value == "":
        return Cell("–" if column.is_number else "", css)
    if column.kind in (MONEY_KIND, INT):
        return Cell(format_number(value), css)
    if column.kind == NUMBER:
        decimals = max(0, -Decimal(value).normalize().as_tuple().exponent)
        return Cell(format_number(value, decimals), css)
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
