"""Exchange rates with round numbers, so expected values can be worked by hand.

From 2024-01-01, per 1 USD: CHF 0.90, EUR 0.80, GBP 0.75, JPY 150
  -> CHF per EUR 1.125, per GBP 1.2, per USD 0.9, per JPY 0.006.
From 2025-01-01, per 1 USD: CHF 0.80, EUR 1.00, GBP 0.64, JPY 160
  -> CHF per EUR 0.8, per GBP 1.25, per USD 0.8, per JPY 0.005; USD per EUR 1.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import ExchangeRateFactory

RATES = {
    dt.date(2024, 1, 1): {"CHF": "0.90", "EUR": "0.80", "GBP": "0.75", "JPY": "150"},
    dt.date(2025, 1, 1): {"CHF": "0.80", "EUR": "1.00", "GBP": "0.64", "JPY": "160"},
}


@pytest.fixture
def rates(db):
    for effective_date, by_currency in RATES.items():
        for currency, units in by_currency.items():
            ExchangeRateFactory(
                currency=currency,
                effective_date=effective_date,
                units_per_usd=Decimal(units),
            )
