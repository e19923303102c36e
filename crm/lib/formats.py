"""Numbers, money and percentages as the reader's language writes them.

The one place that formats them: admin pages, PDFs, downloads and messages
call these functions, and template filters are thin wrappers around them.
Digits and separators come from Django's locale formats ("1,250,000.50" in
English, "1 250 000,50" in French, with no-break spaces); the currency goes
where the language puts it: "CHF 1,250,000.50", "1 250 000,50 CHF" (the
catalogue's "%(currency)s %(amount)s").
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from django.utils import translation
from django.utils.formats import date_format, number_format
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


# French dates: "1er octobre", abbreviations with their full stop ("jeu. 3 déc.").
_FIRST_OF_MONTH = re.compile(r"(?<![\d.,:])\b1 (?=\w)")
_FRENCH_WEEKDAY_ABBR = re.compile(r"\b(lun|mar|mer|jeu|ven|sam|dim)\b(?!\.)")
_FRENCH_MONTH_ABBR = {"fév.": "févr."}


def format_date(value, fmt: str = "j F Y") -> str:
    """A date (or moment) as the reader's language writes it; "" for none.

    ``fmt`` is a Django date format ("j F Y", "D j M", "l j F Y"). French
    gets what Django's formats cannot say: "1er octobre", lower-case month
    abbreviations with their full stop ("3 déc.", never "3 Déc") and weekday
    abbreviations with theirs ("jeu. 3 déc.").
    """
    if value is None or value == "":
        return ""
    if (translation.get_language() or "").split("-")[0] != "fr":
        return date_format(value, fmt)
    text = date_format(value, fmt.replace("M", "N"))
    text = _FIRST_OF_MONTH.sub("1er ", text) if "j" in fmt else text
    text = _FRENCH_WEEKDAY_ABBR.sub(r"\1.", text) if "D" in fmt else text
    for short, written in _FRENCH_MONTH_ABBR.items():
        text = text.replace(short, written)
    return text


def format_compact(value) -> str:
    """1500000 -> "1.5M", 250000 -> "250k" (fr: "1,5M", "250k"): chart labels.

    Below a thousand, the whole number.
    """
    value = Decimal(value)
    if abs(value) >= 1_000_000:
        scaled, suffix = value / 1_000_000, _("M")
    elif abs(value) >= 1_000:
        scaled, suffix = value / 1_000, _("k")
    else:
        return number_format(value, decimal_pos=0)
    places = 0 if scaled == scaled.to_integral_value() else 1
    return f"{number_format(scaled, decimal_pos=places)}{suffix}"
