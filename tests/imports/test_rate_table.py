from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crm.lib.money import CHF, MissingExchangeRate, RateTable, convert
from tests.factories import ExchangeRateFactory


@pytest.fixture
def rates(db):
    for day, chf, eur in [
        (dt.date(2024, 1, 1), "0.90", "0.80"),
        (dt.date(2024, 6, 15), "0.88", "0.93"),
    ]:
        ExchangeRateFactory(currency="CHF", effective_date=day, units_per_usd=chf)
        ExchangeRateFactory(currency="EUR", effective_date=day, units_per_usd=eur)


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2024, 1, 1),
        dt.date(2024, 6, 14),
        dt.date(2024, 6, 15),
        dt.date(2030, 1, 1),
    ],
)
@pytest.mark.parametrize("currency", ["EUR", "USD", "CHF"])
def test_the_rate_table_gives_the_rates_convert_gives(rates, day, currency):
    table = RateTable.load()
    expected = convert(Decimal(1), currency, CHF, day).rate
    assert table.rate(currency, CHF, day) == expected


def test_the_rate_table_knows_no_rate_before_the_first(rates):
    with pytest.raises(MissingExchangeRate, match="2023-12-31"):
        RateTable.load().rate("EUR", CHF, dt.date(2023, 12, 31))
