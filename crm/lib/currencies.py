"""ISO 4217 currency codes (the IATI Currency code list, bundled in crm/data)."""

from __future__ import annotations

import csv
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DATA = Path(__file__).resolve().parent.parent / "data" / "iati_currency.csv"


@cache
def currencies() -> dict[str, str]:
    """Code -> name, e.g. {"CHF": "Swiss Franc", ...}."""
    with DATA.open(encoding="utf-8") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


def currency_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} – {name}") for code, name in sorted(currencies().items())]


def validate_currency(value: str) -> None:
    if value not in currencies():
        raise ValidationError(
            _("Unknown currency code %(value)r: use an ISO 4217 code such as CHF."),
            code="unknown_currency",
            params={"value": value},
        )


# ISO 4217 currencies without minor units (amounts in whole units). Every other
# currency the CRM stores has cents or finer: amounts keep two decimals, so a
# cent is the smallest amount they can hold.
WHOLE_UNIT_CURRENCIES = frozenset(
    (
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    )
)
CENT = Decimal("0.01")


def minor_unit(code: str) -> Decimal:
    """The smallest amount of a currency the CRM can owe: 1 JPY, 0.01 EUR."""
    return Decimal(1) if code in WHOLE_UNIT_CURRENCIES else CENT


def is_settled(remainder: Decimal, currency: str, chf_rate: Decimal | None) -> bool:
    """Whether what is left to pay is too small to ask for: the one rule.

    A remainder is settled when it is less than one minor unit of its currency
    or worth less than one centime at the stored CHF rate: a payment converted
    from another currency leaves rounding crumbs such as THB 0.04 (CHF 0.001),
    which nobody owes. ``pledges.managers.owed_q`` is the same rule in SQL.
    """
    if remainder < minor_unit(currency):
        return True
    return chf_rate is not None and remainder * chf_rate < CENT
