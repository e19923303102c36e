"""Importable exchange rates (UN operational rates: units per 1 USD)."""

from __future__ import annotations

from typing import ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.imports.engine import ModelImporter, cell, column_error, parsed
from crm.imports.registry import register
from crm.lib.parse import parse_amount, parse_date
from crm.models import ExchangeRate


@register
class ExchangeRateImporter(ModelImporter):
    name = "exchange_rates"
    label = gettext_lazy("Exchange rates")
    model = ExchangeRate
    headers: ClassVar = {
        "currency": ("currency", "devise", "currency code", "code", "monnaie"),
        "effective_date": (
            "effective date",
            "effective",
            "date",
            "date d effet",
            "valid from",
            "from",
        ),
        "units_per_usd": (
            "units per usd",
            "rate",
            "taux",
            "rate per usd",
            "un operational rate",
            "taux operationnel",
            "exchange rate",
        ),
        "source": ("source",),
    }
    required = ("currency", "effective_date", "units_per_usd")
    compare = ("currency", "effective_date", "units_per_usd", "source")

    def key_of(self, data: dict) -> object:
        return (data["currency"], data["effective_date"])

    def values(self, values: dict, line: int) -> dict:
        currency = str(cell(self, values, "currency") or "").strip().upper()
        day = parsed(
            self, values, "effective_date", parse_date, dayfirst=self.options.dayfirst
        )
        if day is None:
            raise column_error(self, "effective_date", "", _("no date."))
        rate = parsed(self, values, "units_per_usd", parse_amount, allow_negative=False)
        if rate is None or rate.amount <= 0:
            raise column_error(
                self,
                "units_per_usd",
                cell(self, values, "units_per_usd"),
                _("a rate must be above zero."),
            )
        data = {
            "currency": currency,
            "effective_date": day,
            "units_per_usd": rate.amount,
        }
        if self.has("source"):
            data["source"] = str(cell(self, values, "source") or "")
        return data
