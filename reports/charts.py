"""Charts for printed briefs, drawn as SVG on the server.

WeasyPrint runs no JavaScript, so charts are plain SVG markup built here from
numbers already computed; every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

PLEDGED_COLOUR = "#1f3a5f"
RECEIVED_COLOUR = "#4a9d8f"
GRID_COLOUR = "#d5dbe3"
TEXT_COLOUR = "#4a5563"
FONT = "Noto Sans, sans-serif"


class YearFigures(Protocol):
    year: int
    pledged_chf: Decimal
    received_chf: Decimal


def nice_step(maximum: Decimal, lines: int = 4) -> Decimal:
    """A round grid step (1, 2, 2.5 or 5 times a power of ten) covering ``maximum``."""
    if maximum <= 0:
        return Decimal(1)
    raw = maximum / lines
    power = Decimal(10) ** (len(str(int(raw))) - 1) if raw >= 1 else Decimal(1)
    for factor in (1, 2, Decimal("2.5"), 5, 10):
        step = power * factor
        if step * lines >= maximum:
            return step
    return power * 10


def compact_chf(value: Decimal) -> str:
    """1500000 -> "1.5M", 250000 -> "250k", in the active language's notation."""
    value = Decimal(value)
    if abs(value) >= 1_000_000:
        scaled, suffix = value / 1_000_000, _("M")
    elif abs(value) >= 1_000:
        scaled, suffix = value / 1_000, _("k")
    else:
        return number_format(value, decimal_pos=0)
    places = 0 if scaled == scaled.to_integral_value() else 1
    return f"{number_format(scaled, decimal_pos=places)}{suffix}"


def pledge_chart(years: Sequence[YearFigures]) -> SafeString:
    """Bars of CHF pledged and received per year; empty when there is nothing."""
    if not years:
        return mark_safe("")
    # About the width of the chart's column in points, so 9 units print as ~8pt.
    width, height = 320, 150
    left, right, top, bottom = 40, 4, 22, 20
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max(max(y.pledged_chf, y.received_chf) for y in years)
    lowest = min(Decimal(0), *(y.received_chf for y in years))
    step = nice_step(max(highest, Decimal(1)))
    top_value = step * 4
    floor = -step * ((-lowest / step).to_integral_value(rounding="ROUND_CEILING"))
    span = top_value - floor

    def y_of(value: Decimal) -> float:
        return top + float((top_value - value) / span) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" class="chart" role="img" '
        f'aria-label="{escape(_("Pledged and received per year, CHF"))}" '
        f'font-family="{FONT}" font-size="9" fill="{TEXT_COLOUR}">'
    ]
    value = floor
    while value <= top_value:
        y = y_of(value)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{GRID_COLOUR}" stroke-width="{1 if value == 0 else 0.5}"/>'
            f'<text x="{left - 5}" y="{y + 3:.1f}" text-anchor="end">'
            f"{escape(compact_chf(value))}</text>"
        )
        value += step
    slot = plot_w / len(years)
    bar = min(16.0, slot * 0.32)
    zero = y_of(Decimal(0))
    for i, figures in enumerate(years):
        centre = left + slot * (i + 0.5)
        for offset, amount, colour in (
            (-bar - 1, figures.pledged_chf, PLEDGED_COLOUR),
            (1, figures.received_chf, RECEIVED_COLOUR),
        ):
            y = y_of(amount)
            parts.append(
                f'<rect x="{centre + offset:.1f}" y="{min(y, zero):.1f}" '
                f'width="{bar:.1f}" height="{abs(zero - y):.1f}" fill="{colour}"/>'
            )
        parts.append(
            f'<text x="{centre:.1f}" y="{height - 8}" text-anchor="middle">'
            f"{figures.year}</text>"
        )
    legend_x = left
    for label, colour in (
        (_("Pledged"), PLEDGED_COLOUR),
        (_("Received"), RECEIVED_COLOUR),
    ):
        parts.append(
            f'<rect x="{legend_x}" y="6" width="9" height="9" fill="{colour}"/>'
            f'<text x="{legend_x + 13}" y="14">{escape(label)}</text>'
        )
        legend_x += 13 + 5 * len(label) + 14
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped
