"""Load or update exchange rates (units per USD) from a CSV file.

    python manage.py load_exchange_rates rates.csv [--valid-rows-only] [--source TEXT]

The file needs three columns, whose headers are matched loosely (case, spaces
and punctuation do not matter): the currency (``currency``, ``code``, ...),
the effective date (``effective_date``, ``date``, ...) and the units of the
currency per 1 USD (``units_per_usd``, ``rate``, ...); a ``source`` column is
optional. Commas, semicolons and tabs all work as separators.

Every row is checked before anything is written. Rows that cannot be used
(unknown currency, bad date, a rate that is malformed, zero or negative) are
reported with their line number and value; with any such row nothing is
written, unless ``--valid-rows-only`` is given. Rates already stored for a
currency and date are updated; the counts of rates created, updated and
unchanged are printed. The command exits non-zero when rows were rejected.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from crm.lib.currencies import currencies
from crm.models import ExchangeRate

# Header spellings accepted for each column, after normalisation (see _key).
COLUMNS = {
    "currency": {"currency", "currency_code", "code", "ccy", "iso_code", "iso4217"},
    "effective_date": {
        "effective_date",
        "date",
        "effective",
        "effective_from",
        "valid_from",
        "from",
        "rate_date",
        "as_of",
    },
    "units_per_usd": {
        "units_per_usd",
        "rate",
        "units",
        "per_usd",
        "usd_rate",
        "rate_per_usd",
        "exchange_rate",
        "units_per_us_dollar",
        "un_operational_rate",
    },
    "source": {"source"},
}
REQUIRED = ("currency", "effective_date", "units_per_usd")
RATE_PLACES = Decimal("0.0000000001")  # the rate field keeps 10 places
MAX_RATE = Decimal(10) ** 14  # and 14 digits before the point
DATE_FORMATS = ("%d.%m.%Y", "%d-%b-%Y", "%d %b %Y", "%d-%B-%Y", "%d %B %Y")


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


@dataclass(frozen=True)
class Rate:
    line: int
    currency: str
    effective_date: dt.date
    units_per_usd: Decimal
    source: str


@dataclass(frozen=True)
class Rejected:
    line: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column} {self.value!r}: {self.reason}"


def parse_date(text: str) -> dt.date | None:
    """ISO dates (2024-01-31, also with a time), 31.01.2024 and 31-Jan-2024.

    Slashed dates are refused: 01/02/2024 is January or February depending on
    who wrote it.
    """
    text = text.strip()
    for parse in (dt.date.fromisoformat, dt.datetime.fromisoformat):
        try:
            value = parse(text)
        except ValueError:
            continue
        return value.date() if isinstance(value, dt.datetime) else value
    for date_format in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, date_format).date()  # noqa: DTZ007
        except ValueError:
            continue
    return None


def parse_rate(text: str) -> tuple[Decimal | None, str]:
    """(rate, "") or (None, why not)."""
    cleaned = text.strip().replace(" ", "").replace("_", "")
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(",", "")  # 1,350.25: thousands separators
    try:
        rate = Decimal(cleaned)
    except InvalidOperation:
        return None, "malformed rate"
    if not rate.is_finite():
        return None, "malformed rate"
    if rate <= 0:
        return None, "rate must be positive"
    if rate >= MAX_RATE:
        return None, "rate too large"
    rate = rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
    if rate == 0:
        return None, "rate too small (10 decimal places at most)"
    return rate, ""


def read_rates(path: Path) -> tuple[list[Rate], list[Rejected]]:
    """Parse the file; raise CommandError if it cannot be read as a rate table."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
    except UnicodeDecodeError as error:
        raise CommandError(f"{path} is not a UTF-8 text file.") from error
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    headers = next(reader, None)
    if not headers:
        raise CommandError(f"{path} is empty.")
    index: dict[str, int] = {}
    for position, header in enumerate(headers):
        key = _key(header)
        for column, spellings in COLUMNS.items():
            if key in spellings and column not in index:
                index[column] = position
    missing = [column for column in REQUIRED if column not in index]
    if missing:
        raise CommandError(
            f"{path}: no column for {', '.join(missing)} in the header "
            f"{', '.join(repr(h) for h in headers)} (expected e.g. currency, "
            "effective_date, units_per_usd)."
        )

    known = currencies()
    rates: list[Rate] = []
    rejected: list[Rejected] = []
    seen: dict[tuple[str, dt.date], Rate] = {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue

        def cell(column: str, cells=cells) -> str:
            position = index.get(column)
            if position is None or position >= len(cells):
                return ""
            return cells[position].strip()

        problems = []
        currency = cell("currency").upper()
        if currency not in known:
            problems.append(
                Rejected(line, "currency", cell("currency"), "unknown currency code")
            )
        date_text = cell("effective_date")
        effective_date = parse_date(date_text)
        if effective_date is None:
            problems.append(
                Rejected(line, "effective date", date_text, "bad date, use YYYY-MM-DD")
            )
        rate_text = cell("units_per_usd")
        rate, why = parse_rate(rate_text)
        if rate is None:
            problems.append(Rejected(line, "units per USD", rate_text, why))
        elif currency == "USD" and rate != 1:
            problems.append(
                Rejected(line, "units per USD", rate_text, "USD is always 1 per USD")
            )
        if problems:
            rejected.extend(problems)
            continue
        row = Rate(line, currency, effective_date, rate, cell("source")[:100])
        earlier = seen.get((currency, effective_date))
        if earlier is not None:
            if earlier.units_per_usd != rate:
                rejected.append(
                    Rejected(
                        line,
                        "units per USD",
                        rate_text,
                        f"conflicts with line {earlier.line} for {currency} on "
                        f"{effective_date.isoformat()}",
                    )
                )
            continue
        seen[(currency, effective_date)] = row
        rates.append(row)
    return rates, rejected


@transaction.atomic
def write_rates(rates: list[Rate], *, source: str | None) -> tuple[int, int, int]:
    """Create or update the rates; (created, updated, unchanged)."""
    existing = {
        (rate.currency, rate.effective_date): rate
        for rate in ExchangeRate.objects.select_for_update().filter(
            currency__in={r.currency for r in rates},
            effective_date__in={r.effective_date for r in rates},
        )
    }
    now = timezone.now()
    to_create, to_update, unchanged = [], [], 0
    for row in rates:
        row_source = row.source or source
        stored = existing.get((row.currency, row.effective_date))
        if stored is None:
            rate = ExchangeRate(
                currency=row.currency,
                effective_date=row.effective_date,
                units_per_usd=row.units_per_usd,
            )
            if row_source:
                rate.source = row_source
            to_create.append(rate)
        elif stored.units_per_usd != row.units_per_usd or (
            row_source and stored.source != row_source
        ):
            stored.units_per_usd = row.units_per_usd
            stored.source = row_source or stored.source
            stored.updated_at = now
            to_update.append(stored)
        else:
            unchanged += 1
    ExchangeRate.objects.bulk_create(to_create, batch_size=1000)
    ExchangeRate.objects.bulk_update(
        to_update, ["units_per_usd", "source", "updated_at"], batch_size=1000
    )
    return len(to_create), len(to_update), unchanged


class Command(BaseCommand):
    help = (
        "Load or update exchange rates (currency, effective date, units per USD) "
        "from a CSV file. Rejected rows are listed with their line numbers; with "
        "any, nothing is written unless --valid-rows-only is given."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="The CSV file.")
        parser.add_argument(
            "--valid-rows-only",
            action="store_true",
            help="Write the usable rows even if others were rejected.",
        )
        parser.add_argument(
            "--source",
            default=None,
            help="Source noted on the rates when the file has no source column "
            '(default: "UN operational rate" for new rates).',
        )

    def handle(self, *args, file: Path, valid_rows_only: bool, source, **options):
        rates, rejected = read_rates(file)
        for problem in rejected:
            self.stderr.write(str(problem))
        if not rates and not rejected:
            raise CommandError(f"{file} has no rates.")
        bad_rows = len({problem.line for problem in rejected})
        if rejected and not valid_rows_only:
            raise CommandError(
                f"{bad_rows} row(s) of {file} rejected: nothing written. Fix the "
                "rows above, or load the others with --valid-rows-only."
            )
        created, updated, unchanged = write_rates(rates, source=source)
        self.stdout.write(
            f"{created} created, {updated} updated, {unchanged} unchanged."
        )
        if rejected:
            raise CommandError(
                f"{bad_rows} row(s) of {file} rejected and skipped; the "
                f"{len(rates)} valid rows were loaded."
            )
