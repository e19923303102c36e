"""Template filters for money, amounts and dates: wrappers of ``crm.lib.formats``."""

from __future__ import annotations

from django import template

from crm.lib.formats import (
    CHF,
    format_amount,
    format_date,
    format_money,
    format_percent,
)

register = template.Library()


@register.filter
def money(value, currency: str = CHF) -> str:
    """An amount with its currency, in cents: "CHF 1,234.50" / "1 234,50 CHF"."""
    return format_money(value, currency)


@register.filter
def amount(value, places: int = 2) -> str:
    """An amount alone: "1,234.50" / "1 234,50"; ``amount:0`` in whole units."""
    return format_amount(value, int(places))


@register.filter(expects_localtime=True)
def local_date(value, fmt: str = "j F Y") -> str:
    """A date as Django's ``date`` filter, with French's "1er" and "jeu. 3 déc."."""
    return format_date(value, fmt)


@register.filter
def percent(value, places: int = 0) -> str:
    """A percentage already computed: "92.3 %" / "92,3 %"."""
    return format_percent(value, int(places))
