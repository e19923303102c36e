"""Currency conversion with the UN operational rate in force on a date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from crm.lib.money import (
    MissingExchangeRate,
    convert,
    rate_between,
    to_chf,
    to_usd,
    units_per_usd,
)
from tests.factories import ExchangeRateFactory

JAN = dt.date(2025, 1, 1)
FEB = dt.date(2025, 2, 1)
MAR = dt.date(2025, 3, 1)


@pytest.fixture
def rates(db):
    """CHF 0.80 and EUR 0.90 per USD from 1 January 2025."""
    ExchangeRateFactory(currency="CHF", effective_date=JAN, units_per_usd="0.80")
    ExchangeRateFactory(currency="EUR", effective_date=JAN, units_per_usd="0.90")


def test_it_converts_to_usd_with_the_rate_in_force(rates):
    # 900 EUR at 0.90 EUR per USD is 1,000 USD.
    result = to_usd(Decimal("900.00"), "EUR", dt.date(2025, 6, 30))
    assert result.amount == Decimal("1000.00")
    assert result.currency == "USD"


def test_it_converts_usd_to_chf_with_the_rate_in_force(rates):
    # 1,000 USD at 0.80 CHF per USD is 800 CHF.
    assert to_chf(Decimal("1000"), "USD", dt.date(2025, 6, 30)).amount == Decimal(
        "800.00"
    )


def test_it_converts_between_two_currencies_through_usd(rates):
    # EUR -> CHF: 0.80 / 0.90 = 0.8888888888888889 CHF per EUR (16 places).
    result = to_chf(Decimal("1000.00"), "EUR", dt.date(2025, 6, 30))
    assert result.rate == Decimal("0.8888888888888889")
    assert result.amount == Decimal("888.89")
    # 1,234,567.89 x 8/9 = 1,097,393.68 exactly.
    assert to_chf(Decimal("1234567.89"), "EUR", JAN).amount == Decimal("1097393.68")


def test_the_conversion_keeps_what_it_used(rates):
    result = convert(Decimal("50"), "eur", "chf", MAR)
    assert (result.source_amount, result.source_currency) == (Decimal("50"), "EUR")
    assert (result.currency, result.on) == ("CHF", MAR)
    assert result.amount == (result.source_amount * result.rate).quantize(
        Decimal("0.01")
    )


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (dt.date(2025, 1, 31), Decimal("0.90")),
        (FEB, Decimal("0.85")),  # effective on the day itself
        (dt.date(2025, 2, 15), Decimal("0.85")),
        (MAR, Decimal("0.80")),
        (dt.date(2030, 1, 1), Decimal("0.80")),
    ],
)
def test_the_newest_effective_date_on_or_before_the_date_wins(db, on, expected):
    for effective, value in ((MAR, "0.80"), (JAN, "0.90"), (FEB, "0.85")):
        ExchangeRateFactory(
            currency="CHF", effective_date=effective, units_per_usd=value
        )
    assert units_per_usd("CHF", on) == expected
    assert to_chf(Decimal("100"), "USD", on).amount == expected * 100


def test_a_rate_that_takes_effect_later_is_not_used(db):
    ExchangeRateFactory(currency="CHF", effective_date=MAR, units_per_usd="0.80")
    with pytest.raises(MissingExchangeRate):
        to_chf(Decimal("100"), "USD", dt.date(2025, 2, 28))


def test_a_missing_rate_raises_an_error_naming_the_currency_and_the_date(rates):
    with pytest.raises(
        MissingExchangeRate, match=r"No exchange rate for JPY on or before 2025-06-30"
    ) as caught:
        to_chf(Decimal("1000"), "JPY", dt.date(2025, 6, 30))
    assert caught.value.currency == "JPY"
    assert caught.value.on == dt.date(2025, 6, 30)
    assert isinstance(caught.value, ValidationError)


def test_a_missing_target_rate_is_named_too(db):
    ExchangeRateFactory(currency="EUR", effective_date=JAN, units_per_usd="0.90")
    with pytest.raises(MissingExchangeRate, match="CHF"):
        to_chf(Decimal("10"), "EUR", FEB)


def test_a_missing_rate_never_converts_to_zero(db):
    with pytest.raises(MissingExchangeRate):
        to_chf(Decimal("0"), "EUR", JAN)
    with pytest.raises(MissingExchangeRate):
        rate_between("EUR", "CHF", JAN)


def test_usd_to_usd_is_the_identity_and_needs_no_rate(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        result = to_usd(Decimal("12.34"), "usd", JAN)
    assert (result.amount, result.rate) == (Decimal("12.34"), Decimal(1))
    assert units_per_usd("USD", JAN) == Decimal(1)


def test_a_currency_converted_to_itself_needs_no_rate(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert to_chf(Decimal("99.99"), "CHF", JAN).amount == Decimal("99.99")


def test_amounts_are_rounded_half_up_to_the_centime(db):
    ExchangeRateFactory(currency="CHF", effective_date=JAN, units_per_usd="0.85")
    # 0.10 USD x 0.85 = 0.085 CHF: half up gives 0.09 (banker's rounding 0.08).
    assert to_chf(Decimal("0.10"), "USD", JAN).amount == Decimal("0.09")
    assert to_chf(Decimal("-0.10"), "USD", JAN).amount == Decimal("-0.09")


def test_a_float_amount_is_refused(rates):
    with pytest.raises(TypeError, match="Decimal"):
        to_chf(100.0, "USD", JAN)


def test_a_large_amount_in_a_weak_currency_converts_to_the_centime(db):
    from tests.factories import ExchangeRateFactory

    ExchangeRateFactory(currency="IDR", units_per_usd=Decimal("16000"))
    ExchangeRateFactory(currency="CHF", units_per_usd=Decimal("0.8"))
    # 15,000,000,000 IDR / 16,000 x 0.8 = 750,000.00 CHF exactly.
    result = to_chf(Decimal("15000000000"), "IDR", dt.date(2024, 6, 1))
    assert result.amount == Decimal("750000.00")
