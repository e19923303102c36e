"""Server-side SVG charts of the report pages: no script, no style, escaped."""

from __future__ import annotations

from decimal import Decimal

from reports.charts import bar_chart, ytd_chart

D = Decimal


def test_a_bar_chart_draws_one_bar_per_value_and_escapes_labels():
    svg = bar_chart(
        ["<b>Core</b>", "Projects"],
        [("Target", "#000", [D(100), D(50)]), ("Received", "#111", [D(40), D(-5)])],
        label="Levers & targets",
    )

    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<rect") == 2 + 4  # legend keys, then the bars
    assert "&lt;b&gt;Core&lt;/b&gt;" in svg
    assert "<b>" not in svg
    assert "Levers &amp; targets" in svg
    assert "<script" not in svg and "style=" not in svg


def test_a_bar_chart_of_nothing_is_empty():
    assert bar_chart([], [], label="x") == ""
    assert bar_chart(["a"], [("n", "#000", [D(0)])], label="x") == ""


def test_the_year_to_date_chart_draws_the_line_and_the_target():
    svg = ytd_chart([D(10), D(30), D(45)], D(120), label="Year to date")

    assert "<polyline" in svg
    assert svg.count(",") >= 4  # the origin and three months
    assert 'stroke-dasharray="5 4"' in svg  # the target pace
    assert "<script" not in svg and "style=" not in svg
    assert ytd_chart([], None, label="x") == ""
