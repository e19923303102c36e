"""ISO 4217 currency codes (the IATI Currency code list, bundled in crm/data)."""

from __future__ import annotations

import csv
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
