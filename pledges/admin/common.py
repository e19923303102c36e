"""Pieces the pledges admin modules share."""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import format_html

from crm.admin import ADMIN_CSS
from crm.lib.formats import format_money

PLEDGES_CSS = {"all": [*ADMIN_CSS["all"], "pledges/admin.css"]}


def money_cell(amount: Decimal | None, currency: str = "CHF") -> str:
    """``format_money()`` kept on one line in a list column."""
    text = format_money(amount, currency)
    return format_html('<span class="crm-nowrap">{}</span>', text) if text else ""
