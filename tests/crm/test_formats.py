"""Money, amounts and percentages in the reader's language (crm/lib/formats.py)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import translation

from crm.lib.formats import (
    format_amount,
    format_compact,
    format_money,
    format_number,
    format_percent,
    percent_of,
)

NBSP = "\u00a0"


def fr(text: str) -> str:
    """French digit groups, written with plain spaces here for reading."""
    return re.sub(r"(?<=\d) (?=\d)", NBSP, text)


CASES = [
    # (call, English, French)
    (
        lambda: format_money(Decimal("1250000.50")),
        "CHF 1,250,000.50",
        fr("1 250 000,50 CHF"),
    ),
    (
        lambda: format_money(Decimal("250000"), "EUR", places=0),
        "EUR 250,000",
        fr("250 000 EUR"),
    ),
    (lambda: format_money(Decimal("-12.5")), "CHF -12.50", fr("-12,50 CHF")),
    (lambda: format_money(Decimal("1234.5"), None), "1,234.50", fr("1 234,50")),
    (lambda: format_amount(Decimal("318000")), "318,000.00", fr("318 000,00")),
    # Half up, as accountants round, not to the even neighbour.
    (lambda: format_number(Decimal("2.5")), "3", "3"),
    (lambda: format_number(1234567), "1,234,567", fr("1 234 567")),
    (lambda: format_number(1536 / 1024, 1), "1.5", "1,5"),
    (lambda: format_percent(Decimal("80.35"), 1), f"80.4{NBSP}%", f"80,4{NBSP}%"),
    # Percentages round halves to even, as the lists always did.
    (lambda: percent_of(Decimal(2500), Decimal(4000)), f"62{NBSP}%", f"62{NBSP}%"),
    (lambda: percent_of(Decimal(1), Decimal(3)), f"33{NBSP}%", f"33{NBSP}%"),
    (
        lambda: percent_of(Decimal(25000), Decimal(10), places=1),
        f"250,000.0{NBSP}%",
        fr(f"250 000,0{NBSP}%"),
    ),
]


@pytest.mark.parametrize(("call", "english", "french"), CASES)
def test_numbers_follow_the_readers_language(call, english, french):
    with translation.override("en"):
        assert call() == english
    with translation.override("fr"):
        assert call() == french


@pytest.mark.parametrize(
    "call",
    [
        lambda: format_money(None),
        lambda: format_money(""),
        lambda: format_amount(None),
        lambda: format_percent(None),
        lambda: percent_of(None, Decimal(10)),
        lambda: percent_of(Decimal(1), Decimal(0)),
        lambda: percent_of(Decimal(1), None),
    ],
)
def test_nothing_to_show_is_an_empty_string(call):
    assert call() == ""


@pytest.mark.parametrize(
    ("value", "english", "french"),
    [
        ("1500000", "1.5M", "1,5\u00a0M"),
        ("250000", "250k", "250\u00a0k"),
        ("2000000", "2M", "2\u00a0M"),
        ("-1250", "-1.2k", "-1,2\u00a0k"),
        ("999", "999", "999"),
    ],
)
def test_chart_labels_are_compact_in_the_reader_s_notation(value, english, french):
    with translation.override("en"):
        assert format_compact(Decimal(value)) == english
    with translation.override("fr"):
        assert format_compact(Decimal(value)) == french
