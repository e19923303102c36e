"""Report 1: mobilization against the Decision 5 targets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Q, QuerySet, Sum, Value, When
from django.db.models.functions import ExtractYear, TruncMonth
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pledges.managers import outstanding_chf, weighted_chf
from pledges.models import Lever, Payment, Pledge, Target
from reports import charts
from reports.figures.tables import (
    MONEY,
    MONEY_KIND,
    PERCENT,
    PLEDGE_DATE,
    TEXT,
    ZERO,
    Column,
    Report,
    Table,
    chf_text,
    ids_of,
    money,
    percent_of,
    percent_text,
    report_today,
)
from reports.filters import Period


@dataclass
class MobilizationRow:
    year: int | str
    lever: str
    target_chf: Decimal | None
    received_chf: Decimal
    signed_not_received_chf: Decimal
    weighted_pipeline_chf: Decimal
    percent_of_target: Decimal | None


@dataclass
class YtdRow:
    month: str
    received_chf: Decimal
    cumulative_chf: Decimal
    target_pace_chf: Decimal | None
    percent_of_target: Decimal | None


def mobilization_report(
    *,
    pledges: QuerySet,
    period: Period,
    lever: Lever | None = None,
    today: dt.date | None = None,
) -> Report:
    """Per lever and year: target, received, signed but not received, weighted.

    Received counts payments dated in the period on the pledges selected;
    "signed but not received" is the outstanding CHF of pledges at stage
    pledged or agreement signed (firm commitments); the weighted pipeline is
    the outstanding CHF x probability of every open pledge of the year (as
    the lever list computes it). Targets are the strategy's, whatever the
    region, category or tag filters.
    """
    today = report_today(today)
    years = period.years
    selected = Pledge.objects.filter(pk__in=ids_of(pledges))
    levers = list(
        Lever.objects.filter(pk=lever.pk)
        if lever is not None
        else Lever.objects.filter(
            Q(is_active=True) | Q(pk__in=selected.values("lever"))
        )
    )
    targets: dict[tuple[int | None, int], Decimal] = {
        (t["lever"], t["year"]): t["amount_chf"]
        for t in Target.objects.filter(year__in=years).values(
            "lever", "year", "amount_chf"
        )
    }
    received: dict[tuple[int, int], Decimal] = {
        (r["pledge__lever"], r["y"]): money(r["total"])
        for r in Payment.objects.filter(
            pledge__in=selected, received_on__range=(period.start, period.end)
        )
        .values("pledge__lever", y=ExtractYear("received_on"))
        .annotate(total=Sum("amount_chf"))
        .order_by()
    }
    open_figures: dict[tuple[int, int], dict] = {
        (r["lever"], r["y"]): r
        for r in selected.filter(stage__in=Pledge.Stage.OPEN)
        .alias(pledge_date=PLEDGE_DATE)
        .filter(
            pledge_date__range=(dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31))
        )
        .values("lever", y=ExtractYear("pledge_date"))
        .annotate(
            signed=Sum(
                Case(
                    When(stage__in=Pledge.Stage.COMMITTED, then=outstanding_chf()),
                    default=Value(ZERO),
                    output_field=MONEY,
                )
            ),
            weighted=Sum(weighted_chf()),
        )
        .order_by()
    }
    rows: list[MobilizationRow] = []
    year_totals: list[MobilizationRow] = []
    for year in years:
        year_rows = []
        for item in levers:
            target = targets.get((item.pk, year))
            got = received.get((item.pk, year), ZERO)
            figures = open_figures.get((item.pk, year), {})
            signed = money(figures.get("signed"))
            weighted = money(figures.get("weighted"))
            if (
                not item.is_active
                and target is None
                and not (got or signed or weighted)
            ):
                continue
            year_rows.append(
                MobilizationRow(
                    year=year,
                    lever=item.name,
                    target_chf=target,
                    received_chf=got,
                    signed_not_received_chf=signed,
                    weighted_pipeline_chf=weighted,
                    percent_of_target=percent_of(got, target),
                )
            )
        rows.extend(year_rows)
        year_totals.append(
            _total_row(
                year, year_rows, overall=None if lever else targets.get((None, year))
            )
        )
    grand = _total_row(
        None,
        year_totals,
        overall=None,
        label=_("Total"),
    )
    ytd_year = years[-1]
    ytd_target = year_totals[-1].target_chf
    ytd = _ytd_rows(selected, ytd_year, ytd_target, today)

    main = Table(
        key="levers",
        title=_("By lever and year"),
        columns=[
            Column("year", _("Year"), TEXT),
            Column("lever", _("Lever")),
            Column("target_chf", _("Target (CHF)"), MONEY_KIND),
            Column("received_chf", _("Received (CHF)"), MONEY_KIND),
            Column(
                "signed_not_received_chf",
                _("Signed but not received (CHF)"),
                MONEY_KIND,
            ),
            Column("weighted_pipeline_chf", _("Weighted pipeline (CHF)"), MONEY_KIND),
            Column("percent_of_target", _("% of target"), PERCENT),
        ],
        rows=rows,
        total=grand if len(years) > 1 else year_totals[0],
        chart=charts.bar_chart(
            [r.lever for r in rows if r.year == ytd_year],
            [
                (
                    _("Target"),
                    charts.TARGET_COLOUR,
                    [r.target_chf or ZERO for r in rows if r.year == ytd_year],
                ),
                (
                    _("Received"),
                    charts.RECEIVED_COLOUR,
                    [r.received_chf for r in rows if r.year == ytd_year],
                ),
                (
                    _("Weighted pipeline"),
                    charts.PIPELINE_COLOUR,
                    [r.weighted_pipeline_chf for r in rows if r.year == ytd_year],
                ),
            ],
            label=_("Target, received and weighted pipeline per lever, %(year)s, CHF")
            % {"year": ytd_year},
        ),
        empty=_("No lever."),
    )
    tables = [main]
    if len(years) > 1:
        tables.append(
            Table(
                key="years",
                title=_("By year, all levers"),
                columns=[c for c in main.columns if c.key != "lever"],
                rows=year_totals,
            )
        )
    tables.append(
        Table(
            key="ytd",
            title=_("Year to date %(year)s against the target") % {"year": ytd_year},
            columns=[
                Column("month", _("Month")),
                Column("received_chf", _("Received (CHF)"), MONEY_KIND),
                Column("cumulative_chf", _("Cumulative (CHF)"), MONEY_KIND),
                Column("target_pace_chf", _("Target pace (CHF)"), MONEY_KIND),
                Column("percent_of_target", _("% of target"), PERCENT),
            ],
            rows=ytd,
            chart=charts.ytd_chart(
                [r.cumulative_chf for r in ytd],
                ytd_target,
                label=_("Received year to date against the target, CHF"),
            ),
            note=_("The target pace spreads the year's target evenly over the months.")
            if ytd_target
            else _("No target for %(year)s.") % {"year": ytd_year},
        )
    )
    total_row = year_totals[-1]
    return Report(
        slug="mobilization",
        title=_("Mobilization against targets"),
        period=period,
        tables=tables,
        headline=[
            (
                _("Target %(year)s") % {"year": ytd_year},
                chf_text(total_row.target_chf),
            ),
            (_("Received"), chf_text(total_row.received_chf)),
            (_("% of target"), percent_text(total_row.percent_of_target)),
            (_("Weighted pipeline"), chf_text(total_row.weighted_pipeline_chf)),
        ],
        notes=[
            _(
                "Signed but not received: what is still owed on pledges at stage "
                "pledged or agreement signed. Weighted pipeline: what is still "
                "owed on every open pledge times its probability."
            ),
            _(
                "Targets are the strategy's: region, category, owner and tag "
                "filters narrow the money counted, not the targets."
            ),
        ],
    )


def _total_row(
    year: int | None,
    rows: list[MobilizationRow],
    *,
    overall: Decimal | None,
    label: str | None = None,
) -> MobilizationRow:
    lever_targets = [r.target_chf for r in rows if r.target_chf is not None]
    target = (
        overall
        if overall is not None
        else (sum(lever_targets) if lever_targets else None)
    )
    received = sum((r.received_chf for r in rows), ZERO)
    return MobilizationRow(
        year=year if year is not None else "",
        lever=label or _("All levers"),
        target_chf=target,
        received_chf=received,
        signed_not_received_chf=sum((r.signed_not_received_chf for r in rows), ZERO),
        weighted_pipeline_chf=sum((r.weighted_pipeline_chf for r in rows), ZERO),
        percent_of_target=percent_of(received, target),
    )


def _ytd_rows(
    selected: QuerySet, year: int, target: Decimal | None, today: dt.date
) -> list[YtdRow]:
    monthly = {
        r["month"].month: money(r["total"])
        for r in Payment.objects.filter(pledge__in=selected, received_on__year=year)
        .values(month=TruncMonth("received_on"))
        .annotate(total=Sum("amount_chf"))
        .order_by()
    }
    last_month = 12 if year < today.year else (today.month if year == today.year else 0)
    rows, cumulative = [], ZERO
    for month in range(1, last_month + 1):
        cumulative += monthly.get(month, ZERO)
        pace = money(target * month / 12) if target else None
        rows.append(
            YtdRow(
                month=date_format(dt.date(year, month, 1), "M Y"),
                received_chf=monthly.get(month, ZERO),
                cumulative_chf=cumulative,
                target_pace_chf=pace,
                percent_of_target=percent_of(cumulative, target),
            )
        )
    return rows
