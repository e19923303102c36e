"""What a report is made of: columns, tables, the report, and shared helpers.

The report pages' figures come from one module per report in this package,
each a function returning a ``Report`` of plain dataclasses.

Every figure is an aggregate computed by the database (``GROUP BY`` queries),
so each report runs a fixed number of queries whatever the number of pledges,
payments or engagements; Python only lays the grouped figures out in rows,
adds up the few totals of a table and divides for percentages. Engagements
and follow-ups go through ``visible_to(user)``, so confidential ones are
counted only for users allowed to see them.

A report is a ``Report``: a title, the period, and ``Table`` objects whose
rows are small dataclasses. The page, the CSV, the XLSX and the PDF all read
the same tables, so a download holds exactly what the page shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from crm.lib.formats import format_compact, format_percent
from crm.models import Country
from reports.filters import Period

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
MONEY = DecimalField(max_digits=18, decimal_places=2)

# A pledge's date: pledged on, else expected by, else entered (as for_year()).
PLEDGE_DATE = Coalesce("pledged_on", "expected_by", TruncDate("created_at"))


# How a column shows: text, a count, CHF, a percentage, a date, or an exact
# decimal (contribution units).
TEXT, INT, MONEY_KIND, PERCENT, DATE, NUMBER = (
    "text",
    "int",
    "money",
    "percent",
    "date",
    "number",
)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT

    @property
    def is_number(self) -> bool:
        return self.kind in (INT, MONEY_KIND, PERCENT, NUMBER)


@dataclass
class Table:
    """Rows (dataclasses or dicts) shown under ``columns``, and a total row."""

    key: str
    title: str
    columns: list[Column]
    rows: list[Any]
    total: Any = None
    note: str = ""
    chart: SafeString | str = ""
    empty: str = ""

    def values(self, row: Any) -> list[Any]:
        if isinstance(row, dict):
            return [row.get(c.key) for c in self.columns]
        return [getattr(row, c.key) for c in self.columns]

    def body(self) -> list[list[Any]]:
        return [self.values(row) for row in self.rows]

    def all_rows(self) -> list[list[Any]]:
        """Body then total, as downloads write them."""
        rows = self.body()
        if self.total is not None:
            rows.append(self.values(self.total))
        return rows


@dataclass
class Report:
    slug: str
    title: str
    period: Period | None
    tables: list[Table]
    headline: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)

    @property
    def subtitle(self) -> str:
        return str(self.period) if self.period else _("All dates")


def money(value: Any) -> Decimal:
    """A database sum as Decimal to the centime (SQLite may hand back floats)."""
    if value is None:
        return ZERO
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT)


def percent_of(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    if part is None or not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"))


def report_today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def user_name(first: str | None, last: str | None, username: str | None) -> str:
    full = " ".join(p for p in (first, last) if p)
    return full or username or ""


def region_label(code: str | None) -> str:
    return str(Country.Region(code).label) if code else _("No region")


def ids_of(queryset: QuerySet) -> QuerySet:
    """The rows a filtered queryset selects, as a subquery free of joins.

    Filters through many-to-many relations may repeat a row; aggregating over
    ``pk__in`` counts every row once.
    """
    return queryset.order_by().values("pk")


def chf_text(value: Decimal | None) -> str:
    if value is None:
        return "–"
    return format_compact(value)


def percent_text(value: Decimal | None) -> str:
    """As the table shows it: "80,3 %" in French, a no-break space before %."""
    return "–" if value is None else format_percent(value, 1)
