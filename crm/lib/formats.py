"""Numbers, money and percentages as the reader's language writes them.

The one place that formats them: admin pages, PDFs, downloads and messages
call these functions, and template filters are thin wrappers around them.
Digits and separators come from Django's locale formats ("1,250,000.50" in
English, "1 250 000,50" in French, with no-break spaces); the currency goes
where the language puts it: "CHF 1,250,000.50", "1 250 000,50 CHF" (the
catalogue's "%(currency)s %(amount)s").
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

CHF = "CHF"
HUNDRED = Decimal(100)
# Percentages keep their sign on the same line: "80 %", not "80" / "%".
PERCENT_SIGN = "\u00a0%"


def format_number(value, places: int = 0, rounding: str = ROUND_HALF_UP) -> str:
    """A number with the language's grouping: 1,234,567 / 1 234 567.

    Amounts round half up, as accountants do. An empty string for no value
    (``None`` or ``""``).
    """
    if value is None or value == "":
        return ""
    # Decimal(str()) keeps the digits a float shows.
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    number = number.quantize(Decimal(1).scaleb(-places), rounding=rounding)
    return number_format(number, places, force_grouping=True)


def format_amount(value, places: int = 2) -> str:
    """An amount without its currency: "1,250,000.50" / "1 250 000,50"."""
    return format_number(value, places)


def format_money(amount, currency: str | None = CHF, places: int = 2) -> str:
    """An amount with its currency: "CHF 1,250,000.50" / "1 250 000,50 CHF".

    An empty string for no amount; without a currency, the number alone.
    """
    number = format_amount(amount, places)
    if not number or not currency:
        return number
    return _("%(currency)s %(amount)s") % {"currency": currency, "amount": number}


def format_percent(value, places: int = 0) -> str:
    """A percentage already computed: "80.3 %" / "80,3 %"; "" for none.

    Halves round to even, as the lists always did: 62.5 % shows as 62 %.
    """
    number = format_number(value, places, rounding=ROUND_HALF_EVEN)
    return f"{number}{PERCENT_SIGN}" if number else ""


def percent_of(part, whole, places: int = 0) -> str:
    """``part`` as a percentage of ``whole``; "" when either is missing or 0."""
    if part is None or not whole:
        return ""
    return format_percent(Decimal(part) * HUNDRED / Decimal(whole), places)
