"""Columns, choice synonyms and money parsing the pledge importers share."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.utils.translation import gettext as _

from crm.imports.engine import (
    cell,
    column_error,
    parsed,
)
from crm.lib.currencies import currencies
from crm.lib.money import CHF
from crm.lib.parse import parse_amount
from partners.importers.matching import (
    choice_lookup,
)
from pledges.models import (
    Pledge,
)

STAGES = choice_lookup(
    Pledge.Stage.choices,
    {
        "pledge": Pledge.Stage.PLEDGED,
        "promesse": Pledge.Stage.PLEDGED,
        "commitment": Pledge.Stage.AGREEMENT_SIGNED,
        "committed": Pledge.Stage.AGREEMENT_SIGNED,
        "signed": Pledge.Stage.AGREEMENT_SIGNED,
        "engagement": Pledge.Stage.AGREEMENT_SIGNED,
        "paid": Pledge.Stage.FULFILLED,
        "paye": Pledge.Stage.FULFILLED,
    },
)
KINDS = choice_lookup(
    Pledge.Kind.choices,
    {
        "financial": Pledge.Kind.CASH,
        "financier": Pledge.Kind.CASH,
        "in kind": Pledge.Kind.IN_KIND,
        "en nature": Pledge.Kind.IN_KIND,
        "inkind": Pledge.Kind.IN_KIND,
    },
)
EARMARKING = choice_lookup(
    Pledge.Earmarking.choices,
    {
        "1": Pledge.Earmarking.UNEARMARKED,
        "2": Pledge.Earmarking.SOFTLY_EARMARKED,
        "3": Pledge.Earmarking.EARMARKED,
        "4": Pledge.Earmarking.TIGHTLY_EARMARKED,
        "core": Pledge.Earmarking.UNEARMARKED,
        "non affecte": Pledge.Earmarking.UNEARMARKED,
    },
)

AMOUNT_COLUMNS = (
    "amount",
    "montant",
    "pledged amount",
    "amount pledged",
    "montant promis",
    "montant de la promesse",
    "value",
    "valeur",
    "contribution",
)
CURRENCY_COLUMNS = ("currency", "devise", "monnaie", "ccy", "currency code")


def parse_currency(value: object) -> str:
    code = str(value).strip().upper()
    if code not in currencies():
        raise ValueError(_("unknown currency; use an ISO 4217 code such as CHF"))
    return code


class MoneyRowsMixin:
    """Amount and currency from their columns, or the currency in the cell."""

    def money(
        self,
        values: dict,
        *,
        amount_field="amount",
        currency_field="currency",
        default: str | None = None,
    ) -> tuple[Decimal, str]:
        currency = parsed(self, values, currency_field, parse_currency)
        if currency is None and default:
            currency = default
            if cell(self, values, amount_field) is not None:
                self.apply_default(_("currency"), default)
        raw = cell(self, values, amount_field)
        if raw is None:
            raise column_error(self, amount_field, "", _("no amount."))
        money = parsed(
            self,
            values,
            amount_field,
            parse_amount,
            default_currency=currency,
            allow_negative=self.allow_negative,
        )
        if currency and money.currency and money.currency != currency:
            raise column_error(
                self,
                amount_field,
                raw,
                _("the amount is in %(cell)s but the currency column says %(col)s.")
                % {"cell": money.currency, "col": currency},
            )
        code = money.currency or currency
        if not code:
            if self.has(currency_field) or default:
                raise column_error(
                    self, currency_field, "", _("no currency for this amount.")
                )
            code = CHF  # the organisation's accounting currency
            self.apply_default(_("currency"), CHF)
        if code not in currencies():
            raise column_error(self, amount_field, raw, _("unknown currency."))
        return money.amount, code

    allow_negative: ClassVar[bool] = False
