"""Currency conversion with the exchange rate in force on a date.

Rates are quoted as units of a currency per 1 USD (the UN operational rates
of exchange); the newest effective date on or before the requested date wins.
A missing rate raises ``MissingExchangeRate``; a conversion never returns 0
for want of a rate.

``choose_rate`` is the one place that decides which rate a record uses: the
table's rate where it has one, else a rate the imported file carries for the
row (``CarriedRate``, e.g. FTS ``exchangeRate``), and says where it came from.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

USD = "USD"
CHF = "CHF"
CENT = Decimal("0.01")
RATE_PLACES = Decimal("1e-16")  # the 16 places of the stored conversion rates


class MissingExchangeRate(ValidationError):
    """No rate for a currency on or before a date."""

    def __init__(self, currency: str, on: dt.date) -> None:
        self.currency = currency
        self.on = on
        super().__init__(
            _("No exchange rate for %(currency)s on or before %(date)s.")
            % {"currency": currency, "date": on.isoformat()},
            code="missing_exchange_rate",
        )


@dataclass(frozen=True)
class Conversion:
    """The result of a conversion, with the rate used so it can be stored."""

    amount: Decimal
    currency: str
    source_amount: Decimal
    source_currency: str
    rate: Decimal  # target units per 1 source unit
    on: dt.date


@dataclass(frozen=True)
class CarriedRate:
    """A rate an imported file gives for its own row: units of currency per USD."""

    currency: str
    units_per_usd: Decimal
    source: str  # e.g. "file: FTS exchangeRate"


@dataclass(frozen=True)
class ChosenRate:
    """A rate between two currencies and where each of its legs came from."""

    rate: Decimal  # target units per 1 source unit, rounded like ``convert``
    source: str  # "" when no conversion was needed


SOURCE_LENGTH = 255  # the rate_source fields


def choose_rate(
    source: str,
    target: str,
    on: dt.date,
    *,
    carried: CarriedRate | None = None,
    table: RateTable | None = None,
) -> ChosenRate:
    """The rate from ``source`` to ``target`` on ``on``, and where it came from.

    Each currency's rate per USD comes from the rate table (``table``, or the
    database) when it has one on or before ``on``; otherwise from ``carried``
    when that is the file's rate for this currency. With neither,
    ``MissingExchangeRate`` names the currency and date.
    """
    source, target = source.upper(), target.upper()
    if source == target:
        return ChosenRate(Decimal(1).quantize(RATE_PLACES), "")
    lookup = table.lookup if table is not None else _lookup
    legs = []
    values = {}
    for code in (source, target):
        if code == USD:
            values[code] = Decimal(1)
            continue
        found = lookup(code, on)
        if found is not None:
            value, origin, effective = found
            legs.append(
                _("%(currency)s: %(source)s of %(date)s")
                % {"currency": code, "source": origin, "date": effective.isoformat()}
            )
        elif carried is not None and carried.currency.upper() == code:
            value = carried.units_per_usd
            legs.append(
                _("%(currency)s: %(source)s")
                % {"currency": code, "source": carried.source}
            )
        else:
            raise MissingExchangeRate(code, on)
        values[code] = value
    rate = (values[target] / values[source]).quantize(RATE_PLACES, ROUND_HALF_UP)
    return ChosenRate(rate, "; ".join(legs)[:SOURCE_LENGTH])


def _lookup(currency: str, on: dt.date) -> tuple[Decimal, str, dt.date] | None:
    from crm.models import ExchangeRate

    return (
        ExchangeRate.objects.filter(currency=currency, effective_date__lte=on)
        .order_by("-effective_date")
        .values_list("units_per_usd", "source", "effective_date")
        .first()
    )


def quantize(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def units_per_usd(currency: str, on: dt.date) -> Decimal:
    """Units of ``currency`` per 1 USD in force on ``on``."""
    from crm.models import ExchangeRate

    currency = currency.upper()
    if currency == USD:
        return Decimal(1)
    rate = (
        ExchangeRate.objects.filter(currency=currency, effective_date__lte=on)
        .order_by("-effective_date")
        .values_list("units_per_usd", flat=True)
        .first()
    )
    if rate is None:
        raise MissingExchangeRate(currency, on)
    return rate


def rate_between(source: str, target: str, on: dt.date) -> Decimal:
    """Units of ``target`` per 1 unit of ``source`` on ``on``."""
    source, target = source.upper(), target.upper()
    if source == target:
        return Decimal(1)
    return units_per_usd(target, on) / units_per_usd(source, on)


def convert(amount: Decimal, source: str, target: str, on: dt.date) -> Conversion:
    """Convert ``amount`` in ``source`` currency to ``target`` on date ``on``."""
    if not isinstance(amount, Decimal):
        raise TypeError("amount must be a Decimal")
    # The stored rate must reproduce the stored amount, so round it first.
    rate = rate_between(source, target, on).quantize(RATE_PLACES, ROUND_HALF_UP)
    return Conversion(
        amount=quantize(amount * rate),
        currency=target.upper(),
        source_amount=amount,
        source_currency=source.upper(),
        rate=rate,
        on=on,
    )


def to_chf(amount: Decimal, currency: str, on: dt.date) -> Conversion:
    return convert(amount, currency, CHF, on)


def to_usd(amount: Decimal, currency: str, on: dt.date) -> Conversion:
    return convert(amount, currency, USD, on)


class RateTable:
    """Rates held in memory for a batch of conversions (an import file).

    Same rule as ``units_per_usd``: the newest effective date on or before the
    requested date wins; a missing rate raises ``MissingExchangeRate``. Load
    once with the currencies and the latest date a file needs, then convert
    thousands of rows without a query each.
    """

    def __init__(
        self,
        rates: dict[str, list[tuple[dt.date, Decimal]]],
        sources: dict[str, list[str]] | None = None,
    ) -> None:
        self._dates = {code: [row[0] for row in rows] for code, rows in rates.items()}
        self._values = {code: [row[1] for row in rows] for code, rows in rates.items()}
        self._sources = sources or {}

    @classmethod
    def load(
        cls, currencies: set[str] | None = None, until: dt.date | None = None
    ) -> RateTable:
        """Rates of ``currencies`` (all when None) effective on or before ``until``."""
        from crm.models import ExchangeRate

        query = ExchangeRate.objects.order_by("currency", "effective_date")
        if currencies is not None:
            query = query.filter(currency__in={c.upper() for c in currencies})
        if until is not None:
            query = query.filter(effective_date__lte=until)
        rates: dict[str, list[tuple[dt.date, Decimal]]] = {}
        sources: dict[str, list[str]] = {}
        for code, day, value, origin in query.values_list(
            "currency", "effective_date", "units_per_usd", "source"
        ).iterator(chunk_size=5000):
            rates.setdefault(code, []).append((day, value))
            sources.setdefault(code, []).append(origin)
        return cls(rates, sources)

    def lookup(self, currency: str, on: dt.date) -> tuple[Decimal, str, dt.date] | None:
        """(units per USD, source, effective date) in force on ``on``, or None."""
        dates = self._dates.get(currency.upper())
        index = bisect_right(dates, on) if dates else 0
        if not index:
            return None
        code = currency.upper()
        sources = self._sources.get(code)
        return (
            self._values[code][index - 1],
            sources[index - 1] if sources else "",
            dates[index - 1],
        )

    def choose(
        self,
        source: str,
        target: str,
        on: dt.date,
        *,
        carried: CarriedRate | None = None,
    ) -> ChosenRate:
        return choose_rate(source, target, on, carried=carried, table=self)

    def units_per_usd(self, currency: str, on: dt.date) -> Decimal:
        currency = currency.upper()
        if currency == USD:
            return Decimal(1)
        dates = self._dates.get(currency)
        index = bisect_right(dates, on) if dates else 0
        if not index:
            raise MissingExchangeRate(currency, on)
        return self._values[currency][index - 1]

    def rate(self, source: str, target: str, on: dt.date) -> Decimal:
        """Units of ``target`` per unit of ``source``, rounded like ``convert``."""
        source, target = source.upper(), target.upper()
        if source == target:
            return Decimal(1).quantize(RATE_PLACES)
        rate = self.units_per_usd(target, on) / self.units_per_usd(source, on)
        return rate.quantize(RATE_PLACES, ROUND_HALF_UP)
