"""Report 2: the pledge pipeline by stage and quarter, and recent moves."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncQuarter
from django.utils import timezone
from django.utils.translation import gettext as _

from pledges.managers import outstanding_chf, weighted_chf
from pledges.models import Pledge
from reports import charts
from reports.figures.tables import (
    DATE,
    INT,
    MONEY_KIND,
    PLEDGE_DATE,
    ZERO,
    Column,
    Report,
    Table,
    chf_text,
    ids_of,
    money,
    report_today,
)
from reports.filters import Period

MOVED_STAGE_DAYS = 30


@dataclass
class StageRow:
    stage: str
    count: int
    value_chf: Decimal
    weighted_chf: Decimal


@dataclass
class QuarterRow:
    quarter: str
    count: int
    outstanding_chf: Decimal
    weighted_chf: Decimal


@dataclass
class MovedRow:
    moved_on: dt.date
    partner: str
    title: str
    stage: str
    value_chf: Decimal
    by: str


def pipeline_report(
    *,
    pledges: QuerySet,
    period: Period | None,
    today: dt.date | None = None,
) -> Report:
    """Pledges by stage, open pledges by expected quarter, recent stage moves.

    Without a period every pledge counts; with one, the pledges dated in it
    (pledged on, else expected by, else entered). Stage moves come from the
    pledges' history, whoever moved them: the admin, an import, a payment.
    """
    today = report_today(today)
    selected = Pledge.objects.filter(pk__in=ids_of(pledges))
    if period is not None:
        selected = selected.alias(pledge_date=PLEDGE_DATE).filter(
            pledge_date__range=(period.start, period.end)
        )
    by_stage = {
        r["stage"]: r
        for r in selected.values("stage")
        .annotate(
            count=Count("pk"),
            value=Sum("amount_chf"),
            weighted=Sum(weighted_chf()),
        )
        .order_by()
    }
    stage_rows = [
        StageRow(
            stage=str(label),
            count=by_stage.get(value, {}).get("count", 0),
            value_chf=money(by_stage.get(value, {}).get("value")),
            weighted_chf=money(by_stage.get(value, {}).get("weighted")),
        )
        for value, label in Pledge.Stage.choices
    ]
    open_rows = [
        r
        for s, r in zip(Pledge.Stage.values, stage_rows, strict=True)
        if s in Pledge.Stage.OPEN
    ]
    open_total = StageRow(
        stage=_("Open pipeline (prospect to agreement signed)"),
        count=sum(r.count for r in open_rows),
        value_chf=sum((r.value_chf for r in open_rows), ZERO),
        weighted_chf=sum((r.weighted_chf for r in open_rows), ZERO),
    )

    quarters = list(
        selected.filter(stage__in=Pledge.Stage.OPEN)
        .values(quarter=TruncQuarter("expected_by"))
        .annotate(
            count=Count("pk"),
            outstanding=Sum(outstanding_chf()),
            weighted=Sum(weighted_chf()),
        )
        .order_by(F("quarter").asc(nulls_last=True))
    )
    quarter_rows = [
        QuarterRow(
            quarter=_quarter_label(q["quarter"]),
            count=q["count"],
            outstanding_chf=money(q["outstanding"]),
            weighted_chf=money(q["weighted"]),
        )
        for q in quarters
    ]
    quarter_total = QuarterRow(
        quarter=_("Total"),
        count=sum(r.count for r in quarter_rows),
        outstanding_chf=sum((r.outstanding_chf for r in quarter_rows), ZERO),
        weighted_chf=sum((r.weighted_chf for r in quarter_rows), ZERO),
    )

    moved_rows = moved_stage(selected, today)

    return Report(
        slug="pipeline",
        title=_("Pipeline"),
        period=period,
        tables=[
            Table(
                key="stages",
                title=_("By stage"),
                columns=[
                    Column("stage", _("Stage")),
                    Column("count", _("Pledges"), INT),
                    Column("value_chf", _("Value (CHF)"), MONEY_KIND),
                    Column("weighted_chf", _("Weighted (CHF)"), MONEY_KIND),
                ],
                rows=stage_rows,
                total=open_total,
                chart=charts.bar_chart(
                    [r.stage for r in open_rows],
                    [
                        (
                            _("Value"),
                            charts.TARGET_COLOUR,
                            [r.value_chf for r in open_rows],
                        ),
                        (
                            _("Weighted"),
                            charts.PIPELINE_COLOUR,
                            [r.weighted_chf for r in open_rows],
                        ),
                    ],
                    label=_("Open pledges by stage, CHF"),
                ),
                note=_(
                    "Weighted: what is still owed times the probability; "
                    "fulfilled, declined and withdrawn pledges weigh nothing."
                ),
            ),
            Table(
                key="quarters",
                title=_("Open pledges by expected quarter"),
                columns=[
                    Column("quarter", _("Expected by")),
                    Column("count", _("Pledges"), INT),
                    Column("outstanding_chf", _("Still to come (CHF)"), MONEY_KIND),
                    Column("weighted_chf", _("Weighted (CHF)"), MONEY_KIND),
                ],
                rows=quarter_rows,
                total=quarter_total,
                chart=charts.bar_chart(
                    [r.quarter for r in quarter_rows],
                    [
                        (
                            _("Weighted"),
                            charts.PIPELINE_COLOUR,
                            [r.weighted_chf for r in quarter_rows],
                        )
                    ],
                    label=_("Weighted open pledges by expected quarter, CHF"),
                ),
                empty=_("No open pledge."),
            ),
            Table(
                key="moved",
                title=_("Moved stage in the last %(days)d days")
                % {"days": MOVED_STAGE_DAYS},
                columns=[
                    Column("moved_on", _("Moved on"), DATE),
                    Column("partner", _("Partner")),
                    Column("title", _("Pledge")),
                    Column("stage", _("Stage now")),
                    Column("value_chf", _("Value (CHF)"), MONEY_KIND),
                    Column("by", _("By")),
                ],
                rows=moved_rows,
                empty=_("No pledge moved stage."),
                note=_(
                    "From the pledges' history: changes of stage made in the "
                    "admin, by imports and by payments."
                ),
            ),
        ],
        headline=[
            (_("Open pledges"), str(open_total.count)),
            (_("Open value"), chf_text(open_total.value_chf)),
            (_("Weighted"), chf_text(open_total.weighted_chf)),
        ],
    )


def _quarter_label(value: dt.date | None) -> str:
    if value is None:
        return _("No expected date")
    return f"{value.year} Q{(value.month - 1) // 3 + 1}"


def moved_stage(
    selected: QuerySet, today: dt.date, days: int = MOVED_STAGE_DAYS
) -> list[MovedRow]:
    """Pledges that moved stage in the ``days`` up to ``today``, latest first.

    A move is a version of the pledge whose stage differs from the version
    before it. A pledge closed in those days whose history does not show it
    (closed before the history was kept) counts from its closing date.
    """
    since = today - dt.timedelta(days=days)
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    end = timezone.make_aware(
        dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min)
    )
    # The version just before another of the same pledge (ids break ties).
    before = Pledge.history.filter(id=OuterRef("id")).filter(
        Q(history_date__lt=OuterRef("history_date"))
        | Q(
            history_date=OuterRef("history_date"),
            history_id__lt=OuterRef("history_id"),
        )
    )
    moves = (
        Pledge.history.filter(
            id=OuterRef("pk"), history_date__gte=start, history_date__lt=end
        )
        .annotate(
            stage_before=Subquery(
                before.order_by("-history_date", "-history_id").values("stage")[:1]
            )
        )
        .filter(stage_before__isnull=False)
        .exclude(stage_before=F("stage"))
        .order_by("-history_date", "-history_id")
    )
    rows = (
        selected.annotate(
            logged_at=Subquery(moves.values("history_date")[:1]),
            logged_by=Subquery(moves.values("history_user__username")[:1]),
        )
        .filter(
            Q(logged_at__isnull=False)
            | Q(closed_on__gte=since, stage__in=Pledge.Stage.CLOSED)
        )
        .select_related("partner")
        .order_by("-logged_at", "-closed_on", "pk")
    )
    moved = []
    for pledge in rows:
        on = (
            timezone.localtime(pledge.logged_at).date()
            if pledge.logged_at
            else pledge.closed_on
        )
        moved.append(
            MovedRow(
                moved_on=on,
                partner=pledge.partner.name,
                title=pledge.title,
                stage=pledge.get_stage_display(),
                value_chf=pledge.amount_chf,
                by=pledge.logged_by or "",
            )
        )
    moved.sort(key=lambda r: r.moved_on, reverse=True)
    return moved
