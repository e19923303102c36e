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

from crm.lib.formats import format_compact

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
            f"{escape(format_compact(value))}</text>"
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


# Report pages ---------------------------------------------------------------

TARGET_COLOUR = PLEDGED_COLOUR
PIPELINE_COLOUR = "#c9a227"
OVERDUE_COLOUR = "#b03a2e"
LABEL_CHARS = 28


def _short(label: str) -> str:
    label = str(label)
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _number(value: Decimal, money: bool) -> str:
    return format_compact(value) if money else number_format(value, decimal_pos=0)


def _svg_open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" class="chart report-chart" role="img" '
        f'aria-label="{escape(label)}" font-family="{FONT}" font-size="11" '
        f'fill="{TEXT_COLOUR}">'
    )


def _legend(series_names: Sequence[tuple[str, str]], x: float, y: float) -> list[str]:
    parts = []
    for name, colour in series_names:
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" '
            f'fill="{colour}"/><text x="{x + 14:.1f}" y="{y:.1f}">{escape(name)}</text>'
        )
        x += 14 + 6.5 * len(str(name)) + 16
    return parts


def bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[Decimal]]],
    *,
    label: str,
    money: bool = True,
) -> SafeString:
    """Horizontal bars: one group per label, one bar per (name, colour, values).

    Empty when there is nothing to draw. Negative values (refunds) draw from
    zero to the left.
    """
    if not labels or not series:
        return mark_safe("")
    values = [Decimal(v) for _name, _colour, vs in series for v in vs]
    highest = max([Decimal(0), *values])
    lowest = min([Decimal(0), *values])
    if highest == 0 and lowest == 0:
        return mark_safe("")
    bar, gap = 11, 9
    group = bar * len(series) + gap
    left, right, top, bottom = 190, 16, 30, 22
    width = 640
    height = top + group * len(labels) + bottom
    plot_w = width - left - right
    step = nice_step(max(highest, Decimal(1)))
    top_value = step * 4
    floor = -step * ((-lowest / step).to_integral_value(rounding="ROUND_CEILING"))
    span = top_value - floor

    def x_of(value: Decimal) -> float:
        return left + float((value - floor) / span) * plot_w

    parts = [_svg_open(width, height, label)]
    parts += _legend([(name, colour) for name, colour, _vs in series], left, 16)
    value = floor
    while value <= top_value:
        x = x_of(value)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - bottom}" '
            f'stroke="{GRID_COLOUR}" stroke-width="{1 if value == 0 else 0.5}"/>'
            f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle">'
            f"{escape(_number(value, money))}</text>"
        )
        value += step
    zero = x_of(Decimal(0))
    for i, text in enumerate(labels):
        y0 = top + i * group
        parts.append(
            f'<text x="{left - 8}" y="{y0 + group / 2 - gap / 2 + 4:.1f}" '
            f'text-anchor="end"><title>{escape(text)}</title>{escape(_short(text))}'
            "</text>"
        )
        for j, (_name, colour, vs) in enumerate(series):
            amount = Decimal(vs[i])
            x = x_of(amount)
            parts.append(
                f'<rect x="{min(x, zero):.1f}" y="{y0 + j * bar:.1f}" '
                f'width="{abs(x - zero):.1f}" height="{bar - 1}" fill="{colour}">'
                f"<title>{escape(text)}: {escape(_number(amount, money))}</title>"
                "</rect>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped


def ytd_chart(
    cumulative: Sequence[Decimal],
    target: Decimal | None,
    *,
    label: str,
) -> SafeString:
    """Money received to date, month by month, against the year's target.

    ``cumulative`` holds the running total at the end of each month so far.
    The target shows as a flat line, and its even pace as a dashed diagonal.
    """
    if not cumulative and not target:
        return mark_safe("")
    width, height = 640, 240
    left, right, top, bottom = 56, 16, 30, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max([Decimal(0), *(Decimal(v) for v in cumulative), target or Decimal(0)])
    step = nice_step(max(highest, Decimal(1)))
    top_value = step * 4

    def x_of(month: float) -> float:
        return left + plot_w * month / 12

    def y_of(value: Decimal) -> float:
        return top + float((top_value - Decimal(value)) / top_value) * plot_h

    parts = [_svg_open(width, height, label)]
    legend = [(_("Received, cumulative"), RECEIVED_COLOUR)]
    if target:
        legend.append((_("Target"), TARGET_COLOUR))
    parts += _legend(legend, left, 16)
    value = Decimal(0)
    while value <= top_value:
        y = y_of(value)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{GRID_COLOUR}" stroke-width="{1 if value == 0 else 0.5}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(format_compact(value))}</text>"
        )
        value += step
    initials = [_("Jan"), _("Feb"), _("Mar"), _("Apr"), _("May"), _("Jun"),
                _("Jul"), _("Aug"), _("Sep"), _("Oct"), _("Nov"), _("Dec")]  # fmt: skip
    for month, name in enumerate(initials, start=1):
        parts.append(
            f'<text x="{x_of(month - 0.5):.1f}" y="{height - 6}" '
            f'text-anchor="middle">{escape(name)}</text>'
        )
    if target:
        y = y_of(target)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{TARGET_COLOUR}" stroke-width="2"/>'
            f'<line x1="{left}" y1="{y_of(Decimal(0)):.1f}" x2="{width - right}" '
            f'y2="{y:.1f}" stroke="{TARGET_COLOUR}" stroke-width="1" '
            'stroke-dasharray="5 4"/>'
        )
    if cumulative:
        points = [(x_of(0), y_of(Decimal(0)))] + [
            (x_of(month), y_of(v)) for month, v in enumerate(cumulative, start=1)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{RECEIVED_COLOUR}" '
            'stroke-width="2.5"/>'
        )
        x, y = points[-1]
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{RECEIVED_COLOUR}">'
            f"<title>{escape(format_compact(Decimal(cumulative[-1])))}</title></circle>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped
