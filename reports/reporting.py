"""The report pages' figures: one function per report, plain dataclasses out.

Every figure is an aggregate computed by the database (``GROUP BY`` queries),
so each report runs a fixed number of queries whatever the number of pledges,
payments or engagements; Python only lays the grouped figures out in rows,
adds up the few totals of a table and divides for percentages. Engagements
and follow-ups go through ``visible_to(user)``, so confidential ones are
counted only for users allowed to see them.

A report is a ``Report``: a title, the period, and ``Table`` objects whose
rows are small dataclasses. The page, the CSV, the XLSX and the PDF all read
the same tables, so a download holds exactly what the page shows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Coalesce,
    ExtractYear,
    TruncDate,
    TruncMonth,
    TruncQuarter,
)
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from crm.models import Country
from partners.models import (
    Engagement,
    FollowUp,
    Membership,
    Partner,
    UnitValue,
    format_class,
)
from pledges.managers import outstanding_chf, weighted_chf
from pledges.models import Lever, Payment, Pledge, Target
from reports import charts
from reports.filters import Period

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
MONEY = DecimalField(max_digits=18, decimal_places=2)
MOVED_STAGE_DAYS = 30
SOON_DAYS = 14
TOP_PARTNERS = 20

# A pledge's date: pledged on, else expected by, else entered (as for_year()).
PLEDGE_DATE = Coalesce("pledged_on", "expected_by", TruncDate("created_at"))


# --------------------------------------------------------------------------
# What a report is made of
# --------------------------------------------------------------------------

# How a column shows: text, a count, CHF, a percentage, a date, or an exact
# decimal (contribution units).
TEXT, INT, MONEY_KIND, PERCENT, DATE, NUMBER = (
    "text",
    "int",
    "money",
    "percent",
    "date",
    "number",
)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT

    @property
    def is_number(self) -> bool:
        return self.kind in (INT, MONEY_KIND, PERCENT, NUMBER)


@dataclass
class Table:
    """Rows (dataclasses or dicts) shown under ``columns``, and a total row."""

    key: str
    title: str
    columns: list[Column]
    rows: list[Any]
    total: Any = None
    note: str = ""
    chart: SafeString | str = ""
    empty: str = ""

    def values(self, row: Any) -> list[Any]:
        if isinstance(row, dict):
            return [row.get(c.key) for c in self.columns]
        return [getattr(row, c.key) for c in self.columns]

    def body(self) -> list[list[Any]]:
        return [self.values(row) for row in self.rows]

    def all_rows(self) -> list[list[Any]]:
        """Body then total, as downloads write them."""
        rows = self.body()
        if self.total is not None:
            rows.append(self.values(self.total))
        return rows


@dataclass
class Report:
    slug: str
    title: str
    period: Period | None
    tables: list[Table]
    headline: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)

    @property
    def subtitle(self) -> str:
        return str(self.period) if self.period else _("All dates")


def money(value: Any) -> Decimal:
    """A database sum as Decimal to the centime (SQLite may hand back floats)."""
    if value is None:
        return ZERO
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT)


def percent_of(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    if part is None or not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"))


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _user_name(first: str | None, last: str | None, username: str | None) -> str:
    full = " ".join(p for p in (first, last) if p)
    return full or username or ""


def _region_label(code: str | None) -> str:
    return str(Country.Region(code).label) if code else _("No region")


def _ids(queryset: QuerySet) -> QuerySet:
    """The rows a filtered queryset selects, as a subquery free of joins.

    Filters through many-to-many relations may repeat a row; aggregating over
    ``pk__in`` counts every row once.
    """
    return queryset.order_by().values("pk")


# --------------------------------------------------------------------------
# 1. Mobilization against targets
# --------------------------------------------------------------------------


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
    today = _today(today)
    years = period.years
    selected = Pledge.objects.filter(pk__in=_ids(pledges))
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
                _chf_text(total_row.target_chf),
            ),
            (_("Received"), _chf_text(total_row.received_chf)),
            (_("% of target"), percent_text(total_row.percent_of_target)),
            (_("Weighted pipeline"), _chf_text(total_row.weighted_pipeline_chf)),
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


def _chf_text(value: Decimal | None) -> str:
    if value is None:
        return "–"
    return charts.compact_chf(value)


def percent_text(value: Decimal | None) -> str:
    """As the table shows it: "80,3 %" in French, a no-break space before %."""
    return "–" if value is None else f"{number_format(value, 1)}\u00a0%"


# --------------------------------------------------------------------------
# 2. Pipeline
# --------------------------------------------------------------------------


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
    today = _today(today)
    selected = Pledge.objects.filter(pk__in=_ids(pledges))
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

    moved_rows = _moved_stage(selected, today)

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
            (_("Open value"), _chf_text(open_total.value_chf)),
            (_("Weighted"), _chf_text(open_total.weighted_chf)),
        ],
    )


def _quarter_label(value: dt.date | None) -> str:
    if value is None:
        return _("No expected date")
    return f"{value.year} Q{(value.month - 1) // 3 + 1}"


def _moved_stage(selected: QuerySet, today: dt.date) -> list[MovedRow]:
    """Pledges that moved stage in the 30 days up to ``today``, latest first.

    A move is a version of the pledge whose stage differs from the version
    before it. A pledge closed in those days whose history does not show it
    (closed before the history was kept) counts from its closing date.
    """
    since = today - dt.timedelta(days=MOVED_STAGE_DAYS)
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


# --------------------------------------------------------------------------
# 3. Contributions
# --------------------------------------------------------------------------


@dataclass
class GroupRow:
    group: str
    received_chf: Decimal
    partners: int
    share: Decimal | None


@dataclass
class PartnerRow:
    partner: str
    region: str
    category: str
    received_chf: Decimal
    payments: int
    last_payment: dt.date | None


@dataclass
class ContributorRow:
    partner: str
    region: str
    category: str
    received_chf: Decimal
    on: dt.date | None


def contributions_report(
    *, pledges: QuerySet, period: Period, today: dt.date | None = None
) -> Report:
    """Money received (net of refunds) in the period, grouped four ways.

    First-time contributors gave in the period's last year and never before;
    lapsed ones gave the year before it and nothing in it (refunds aside).
    """
    selected = Pledge.objects.filter(pk__in=_ids(pledges))
    payments = Payment.objects.filter(
        pledge__in=selected, received_on__range=(period.start, period.end)
    )

    def grouped(expression, labels) -> list[GroupRow]:
        result = list(
            payments.values(group=expression)
            .annotate(
                total=Sum("amount_chf"),
                partners=Count("pledge__partner", distinct=True),
            )
            .order_by()
        )
        whole = sum((money(r["total"]) for r in result), ZERO)
        rows = [
            GroupRow(
                group=labels(r["group"]),
                received_chf=money(r["total"]),
                partners=r["partners"],
                share=percent_of(money(r["total"]), whole),
            )
            for r in result
        ]
        return rows

    category_labels = dict(Partner.Category.choices)
    earmarking_labels = dict(Pledge.Earmarking.choices)
    by_year = sorted(grouped(ExtractYear("received_on"), str), key=lambda r: r.group)
    by_region = sorted(
        grouped(F("pledge__partner__country__itu_region"), _region_label),
        key=lambda r: -r.received_chf,
    )
    by_category = sorted(
        grouped(
            F("pledge__partner__category"),
            lambda v: str(category_labels.get(v, v or "")),
        ),
        key=lambda r: -r.received_chf,
    )
    earmark_order = list(Pledge.Earmarking.values)
    by_earmarking = grouped(F("pledge__earmarking"), lambda v: v)
    by_earmarking.sort(
        key=lambda r: earmark_order.index(r.group) if r.group in earmark_order else 99
    )
    for row in by_earmarking:
        row.group = str(earmarking_labels.get(row.group, row.group))

    total_partners = payments.aggregate(n=Count("pledge__partner", distinct=True))["n"]
    whole = sum((r.received_chf for r in by_year), ZERO)

    def total_row() -> GroupRow:
        return GroupRow(_("Total"), whole, total_partners, percent_of(whole, whole))

    top = [
        PartnerRow(
            partner=r["pledge__partner__name"],
            region=_region_label(r["pledge__partner__country__itu_region"]),
            category=str(category_labels.get(r["pledge__partner__category"], "")),
            received_chf=money(r["total"]),
            payments=r["payments"],
            last_payment=r["last"],
        )
        for r in payments.values(
            "pledge__partner",
            "pledge__partner__name",
            "pledge__partner__country__itu_region",
            "pledge__partner__category",
        )
        .annotate(
            total=Sum("amount_chf"), payments=Count("pk"), last=Max("received_on")
        )
        .order_by("-total", "pledge__partner__name")[:TOP_PARTNERS]
    ]

    year = period.end.year
    first_time, lapsed = _first_and_lapsed(selected, year)
    group_columns = [
        Column("group", ""),
        Column("received_chf", _("Received (CHF)"), MONEY_KIND),
        Column("partners", _("Partners"), INT),
        Column("share", _("% of total"), PERCENT),
    ]

    def group_table(
        key: str, title: str, label: str, rows: list[GroupRow], chart=True
    ) -> Table:
        columns = [Column("group", label), *group_columns[1:]]
        return Table(
            key=key,
            title=title,
            columns=columns,
            rows=rows,
            total=total_row(),
            chart=charts.bar_chart(
                [r.group for r in rows],
                [
                    (
                        _("Received"),
                        charts.RECEIVED_COLOUR,
                        [r.received_chf for r in rows],
                    )
                ],
                label=title,
            )
            if chart
            else "",
            empty=_("Nothing received."),
        )

    contributor_columns = [
        Column("partner", _("Partner")),
        Column("region", _("ITU region")),
        Column("category", _("Category")),
    ]
    return Report(
        slug="contributions",
        title=_("Contributions"),
        period=period,
        tables=[
            group_table("years", _("Received by year"), _("Year"), by_year),
            group_table("regions", _("By ITU region"), _("ITU region"), by_region),
            group_table(
                "categories", _("By partner category"), _("Category"), by_category
            ),
            group_table(
                "earmarking", _("By earmarking"), _("Earmarking"), by_earmarking
            ),
            Table(
                key="top",
                title=_("Top %(count)d partners") % {"count": TOP_PARTNERS},
                columns=[
                    *contributor_columns,
                    Column("received_chf", _("Received (CHF)"), MONEY_KIND),
                    Column("payments", _("Payments"), INT),
                    Column("last_payment", _("Last payment"), DATE),
                ],
                rows=top,
                empty=_("Nothing received."),
            ),
            Table(
                key="first_time",
                title=_("First-time contributors in %(year)s") % {"year": year},
                columns=[
                    *contributor_columns,
                    Column(
                        "received_chf",
                        _("Received in %(year)s (CHF)") % {"year": year},
                        MONEY_KIND,
                    ),
                    Column("on", _("First payment"), DATE),
                ],
                rows=first_time,
                empty=_("None."),
            ),
            Table(
                key="lapsed",
                title=_("Lapsed: gave in %(last)s, not in %(year)s")
                % {"last": year - 1, "year": year},
                columns=[
                    *contributor_columns,
                    Column(
                        "received_chf",
                        _("Received in %(year)s (CHF)") % {"year": year - 1},
                        MONEY_KIND,
                    ),
                    Column("on", _("Last payment"), DATE),
                ],
                rows=lapsed,
                empty=_("None."),
            ),
        ],
        headline=[
            (_("Received"), _chf_text(whole)),
            (_("Contributors"), str(total_partners)),
            (_("First-time in %(year)s") % {"year": year}, str(len(first_time))),
            (_("Lapsed in %(year)s") % {"year": year}, str(len(lapsed))),
        ],
        notes=[
            _("Amounts are net of refunds, in CHF at the rate of each payment's date.")
        ],
    )


def _first_and_lapsed(
    selected: QuerySet, year: int
) -> tuple[list[ContributorRow], list[ContributorRow]]:
    category_labels = dict(Partner.Category.choices)
    gifts = (
        Payment.objects.filter(pledge__in=selected, amount__gt=0)
        .values(
            "pledge__partner",
            "pledge__partner__name",
            "pledge__partner__country__itu_region",
            "pledge__partner__category",
        )
        .annotate(
            this_year=Coalesce(
                Sum("amount_chf", filter=Q(received_on__year=year)),
                Value(ZERO),
                output_field=MONEY,
            ),
            last_year=Coalesce(
                Sum("amount_chf", filter=Q(received_on__year=year - 1)),
                Value(ZERO),
                output_field=MONEY,
            ),
            first=Min("received_on"),
            last=Max("received_on", filter=Q(received_on__year=year - 1)),
        )
        .order_by("pledge__partner__name")
    )
    first_time = gifts.filter(
        this_year__gt=0,
        first__gte=dt.date(year, 1, 1),
        first__lte=dt.date(year, 12, 31),
    )
    lapsed = gifts.filter(last_year__gt=0, this_year__lte=0)

    def row(r: dict, amount: str, on: str) -> ContributorRow:
        return ContributorRow(
            partner=r["pledge__partner__name"],
            region=_region_label(r["pledge__partner__country__itu_region"]),
            category=str(category_labels.get(r["pledge__partner__category"], "")),
            received_chf=money(r[amount]),
            on=r[on],
        )

    return (
        [row(r, "this_year", "first") for r in first_time],
        [row(r, "last_year", "last") for r in lapsed],
    )


# --------------------------------------------------------------------------
# 4. Engagement activity
# --------------------------------------------------------------------------


@dataclass
class CountRow:
    group: str
    engagements: int


@dataclass
class DormantRow:
    partner: str
    why: str
    region: str
    owner: str
    last_engagement: dt.date | None


def activity_report(
    *,
    engagements: QuerySet,
    partners: QuerySet,
    period: Period,
    months: int,
    user,
    today: dt.date | None = None,
) -> Report:
    """Engagements in the period by month, kind, staff member and region.

    Only engagements ``user`` may see are counted. An engagement with two
    staff members or partners from two regions counts once in each of their
    rows, so those columns may add up to more than the total. "Not engaged"
    lists active Member States and high-priority partners (from ``partners``)
    without an engagement visible to ``user`` in the last ``months`` months.
    """
    today = _today(today)
    visible = Engagement.objects.visible_to(user)
    selected = visible.filter(
        pk__in=_ids(engagements), date__range=(period.start, period.end)
    )
    per_month = {
        (r["month"].year, r["month"].month): r["n"]
        for r in selected.values(month=TruncMonth("date"))
        .annotate(n=Count("pk"))
        .order_by()
    }
    month_rows = []
    cursor = dt.date(period.start.year, period.start.month, 1)
    while cursor <= period.end:
        month_rows.append(
            CountRow(
                date_format(cursor, "M Y"),
                per_month.get((cursor.year, cursor.month), 0),
            )
        )
        cursor = _add_months(cursor, 1)
    total = sum(per_month.values())

    kind_counts = {
        r["kind"]: r["n"]
        for r in selected.values("kind").annotate(n=Count("pk")).order_by()
    }
    kind_rows = [
        CountRow(str(label), kind_counts.get(value, 0))
        for value, label in Engagement.Kind.choices
    ]
    staff_rows = [
        CountRow(
            _user_name(
                r["staff__first_name"], r["staff__last_name"], r["staff__username"]
            )
            if r["staff"]
            else _("No staff recorded"),
            r["n"],
        )
        for r in selected.values(
            "staff", "staff__username", "staff__first_name", "staff__last_name"
        )
        .annotate(n=Count("pk", distinct=True))
        .order_by("-n", "staff__username")
    ]
    region_counts = {
        r["partners__country__itu_region"]: r["n"]
        for r in selected.values("partners__country__itu_region")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    }
    region_rows = [
        CountRow(str(label), region_counts.get(value, 0))
        for value, label in Country.Region.choices
    ]
    if region_counts.get(None):
        region_rows.append(CountRow(_("No region"), region_counts[None]))

    since = _add_months(today, -months)
    last = visible.filter(partners=OuterRef("pk")).order_by("-date").values("date")[:1]
    dormant_qs = (
        Partner.objects.filter(pk__in=_ids(partners), is_active=True)
        .filter(
            Q(category=Partner.Category.GOVERNMENT, country__is_itu_member_state=True)
            | Q(priority=Partner.Priority.HIGH)
        )
        .annotate(last_engagement=Subquery(last))
        .filter(Q(last_engagement__isnull=True) | Q(last_engagement__lt=since))
        .values(
            "name",
            "category",
            "priority",
            "country__is_itu_member_state",
            "country__itu_region",
            "owner__username",
            "owner__first_name",
            "owner__last_name",
            "last_engagement",
        )
        .order_by(F("last_engagement").asc(nulls_first=True), "name")
    )
    dormant = [
        DormantRow(
            partner=r["name"],
            why=_("Member State")
            if r["category"] == Partner.Category.GOVERNMENT
            and r["country__is_itu_member_state"]
            else _("High priority"),
            region=_region_label(r["country__itu_region"]),
            owner=_user_name(
                r["owner__first_name"], r["owner__last_name"], r["owner__username"]
            ),
            last_engagement=r["last_engagement"],
        )
        for r in dormant_qs
    ]

    def count_table(key, title, label, rows, chart=True, note="") -> Table:
        return Table(
            key=key,
            title=title,
            columns=[
                Column("group", label),
                Column("engagements", _("Engagements"), INT),
            ],
            rows=rows,
            total=CountRow(_("Total engagements"), total),
            chart=charts.bar_chart(
                [r.group for r in rows],
                [
                    (
                        _("Engagements"),
                        charts.TARGET_COLOUR,
                        [Decimal(r.engagements) for r in rows],
                    )
                ],
                label=title,
                money=False,
            )
            if chart
            else "",
            note=note,
        )

    return Report(
        slug="activity",
        title=_("Engagement activity"),
        period=period,
        tables=[
            count_table("months", _("By month"), _("Month"), month_rows),
            count_table("kinds", _("By kind"), _("Kind"), kind_rows),
            count_table(
                "staff",
                _("By staff member"),
                _("Staff member"),
                staff_rows,
                chart=False,
                note=_("An engagement with several staff members counts for each."),
            ),
            count_table(
                "regions",
                _("By ITU region of the partners"),
                _("ITU region"),
                region_rows,
                note=_(
                    "An engagement with partners in several regions counts in each."
                ),
            ),
            Table(
                key="dormant",
                title=_(
                    "Member States and high-priority partners with no engagement "
                    "in the last %(months)d months"
                )
                % {"months": months},
                columns=[
                    Column("partner", _("Partner")),
                    Column("why", _("Listed as")),
                    Column("region", _("ITU region")),
                    Column("owner", _("Relationship owner")),
                    Column("last_engagement", _("Last engagement"), DATE),
                ],
                rows=dormant,
                empty=_("Every one of them was engaged."),
            ),
        ],
        headline=[
            (_("Engagements"), str(total)),
            (
                _("Not engaged for %(months)d months") % {"months": months},
                str(len(dormant)),
            ),
        ],
    )


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    # The same day of the month, or the month's last day.
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------
# 5. Follow-ups
# --------------------------------------------------------------------------


@dataclass
class AssigneeRow:
    assignee: str
    open: int
    overdue: int
    due_soon: int
    oldest_due: dt.date | None


@dataclass
class CompletionRow:
    assignee: str
    due: int
    done: int
    done_on_time: int
    completion_rate: Decimal | None
    on_time_rate: Decimal | None


@dataclass
class OpenRow:
    due_date: dt.date
    overdue: str
    assignee: str
    partner: str
    description: str


def followups_report(
    *,
    followups: QuerySet,
    period: Period,
    user,
    today: dt.date | None = None,
) -> Report:
    """Open follow-ups by assignee (most overdue first) and completion rates.

    The completion rate counts the follow-ups due in the period and not
    cancelled: done / due, and done on or before the due date / due.
    """
    today = _today(today)
    selected = FollowUp.objects.visible_to(user).filter(pk__in=_ids(followups))
    names = (
        "assignee",
        "assignee__username",
        "assignee__first_name",
        "assignee__last_name",
    )

    def name_of(r: dict) -> str:
        if not r["assignee"]:
            return _("Nobody")
        return _user_name(
            r["assignee__first_name"], r["assignee__last_name"], r["assignee__username"]
        )

    open_rows = [
        AssigneeRow(
            assignee=name_of(r),
            open=r["open"],
            overdue=r["overdue"],
            due_soon=r["soon"],
            oldest_due=r["oldest"],
        )
        for r in selected.filter(status=FollowUp.Status.OPEN)
        .values(*names)
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(due_date__lt=today)),
            soon=Count(
                "pk",
                filter=Q(
                    due_date__gte=today,
                    due_date__lte=today + dt.timedelta(days=SOON_DAYS),
                ),
            ),
            oldest=Min("due_date"),
        )
        .order_by("-overdue", "-open", "assignee__username")
    ]
    open_total = AssigneeRow(
        assignee=_("Total"),
        open=sum(r.open for r in open_rows),
        overdue=sum(r.overdue for r in open_rows),
        due_soon=sum(r.due_soon for r in open_rows),
        oldest_due=min((r.oldest_due for r in open_rows if r.oldest_due), default=None),
    )
    completion = [
        _completion_row(name_of(r), r["due"], r["done"], r["on_time"])
        for r in selected.filter(due_date__range=(period.start, period.end))
        .exclude(status=FollowUp.Status.CANCELLED)
        .values(*names)
        .annotate(
            due=Count("pk"),
            done=Count("pk", filter=Q(status=FollowUp.Status.DONE)),
            on_time=Count(
                "pk",
                filter=Q(status=FollowUp.Status.DONE, done_on__lte=F("due_date")),
            ),
        )
        .order_by("assignee__username")
    ]
    completion_total = _completion_row(
        _("Total"),
        sum(r.due for r in completion),
        sum(r.done for r in completion),
        sum(r.done_on_time for r in completion),
    )
    listing = [
        OpenRow(
            due_date=f.due_date,
            overdue=_("overdue") if f.due_date < today else "",
            assignee=_user_name(
                f.assignee.first_name, f.assignee.last_name, f.assignee.username
            )
            if f.assignee
            else _("Nobody"),
            partner=f.partner.name if f.partner else "",
            description=f.description,
        )
        for f in selected.filter(status=FollowUp.Status.OPEN)
        .select_related("assignee", "partner")
        .order_by("due_date", "pk")
    ]
    return Report(
        slug="followups",
        title=_("Follow-ups"),
        period=period,
        tables=[
            Table(
                key="assignees",
                title=_("Open follow-ups by assignee"),
                columns=[
                    Column("assignee", _("Assignee")),
                    Column("open", _("Open"), INT),
                    Column("overdue", _("Overdue"), INT),
                    Column(
                        "due_soon", _("Due in %(days)d days") % {"days": SOON_DAYS}, INT
                    ),
                    Column("oldest_due", _("Oldest due"), DATE),
                ],
                rows=open_rows,
                total=open_total,
                chart=charts.bar_chart(
                    [r.assignee for r in open_rows],
                    [
                        (
                            _("Overdue"),
                            charts.OVERDUE_COLOUR,
                            [Decimal(r.overdue) for r in open_rows],
                        ),
                        (
                            _("Open"),
                            charts.TARGET_COLOUR,
                            [Decimal(r.open) for r in open_rows],
                        ),
                    ],
                    label=_("Open and overdue follow-ups by assignee"),
                    money=False,
                ),
                empty=_("No open follow-up."),
            ),
            Table(
                key="completion",
                title=_("Completion of the follow-ups due in the period"),
                columns=[
                    Column("assignee", _("Assignee")),
                    Column("due", _("Due"), INT),
                    Column("done", _("Done"), INT),
                    Column("done_on_time", _("Done on time"), INT),
                    Column("completion_rate", _("Completion rate"), PERCENT),
                    Column("on_time_rate", _("On-time rate"), PERCENT),
                ],
                rows=completion,
                total=completion_total,
                note=_("Cancelled follow-ups are left out."),
                empty=_("No follow-up due in the period."),
            ),
            Table(
                key="open",
                title=_("Open follow-ups, overdue first"),
                columns=[
                    Column("due_date", _("Due"), DATE),
                    Column("overdue", _("Overdue")),
                    Column("assignee", _("Assignee")),
                    Column("partner", _("Partner")),
                    Column("description", _("What")),
                ],
                rows=listing,
                empty=_("No open follow-up."),
            ),
        ],
        headline=[
            (_("Open"), str(open_total.open)),
            (_("Overdue"), str(open_total.overdue)),
            (_("Completion rate"), percent_text(completion_total.completion_rate)),
        ],
    )


def _completion_row(name: str, due: int, done: int, on_time: int) -> CompletionRow:
    return CompletionRow(
        assignee=name,
        due=due,
        done=done,
        done_on_time=on_time,
        completion_rate=percent_of(Decimal(done), Decimal(due)),
        on_time_rate=percent_of(Decimal(on_time), Decimal(due)),
    )


# --------------------------------------------------------------------------
# 6. Membership and dues
# --------------------------------------------------------------------------


@dataclass
class ClassRow:
    contribution_class: str
    regions: dict[str, int]
    total: int
    units: Decimal
    dues_chf: Decimal

    def __getattr__(self, name: str):
        # Region columns are read as attributes: AFR, AMS, ...
        regions = self.__dict__.get("regions", {})
        if name in regions:
            return regions[name]
        raise AttributeError(name)


@dataclass
class ArrearsRow:
    partner: str
    membership: str
    region: str
    contribution_class: str
    annual_dues_chf: Decimal
    arrears_chf: Decimal
    arrears_as_of: dt.date | None
    years_of_dues: Decimal | None
    consequence: str


def membership_report(
    *, memberships: QuerySet, year: int, today: dt.date | None = None
) -> Report:
    """Member States by class and region; members in arrears and what follows.

    A Member State whose arrears reach its contributions due for the two
    preceding years loses its vote; a Sector Member, Associate or Academia
    member whose arrears reach a year of its dues is liable to suspension.
    Dues are class x the unit of ``year`` (a fifth of it for non-Member States).
    """
    unit = UnitValue.for_year(year)
    current = Membership.objects.filter(pk__in=_ids(memberships)).current()
    member_states = current.filter(type=Membership.Type.MEMBER_STATE)
    cells: dict[Decimal, dict[str, int]] = defaultdict(dict)
    for r in (
        member_states.values("contribution_class", "partner__country__itu_region")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        region = r["partner__country__itu_region"] or "none"
        cells[Decimal(r["contribution_class"]).normalize()][region] = r["n"]
    regions = [code for code, _label in Country.Region.choices]
    has_none = any("none" in c for c in cells.values())
    class_rows = []
    for value in sorted(cells, reverse=True):
        counts = {code: cells[value].get(code, 0) for code in regions}
        if has_none:
            counts["none"] = cells[value].get("none", 0)
        total = sum(counts.values())
        class_rows.append(
            ClassRow(
                contribution_class=format_class(value),
                regions=counts,
                total=total,
                units=value * total,
                dues_chf=money(value * total * unit),
            )
        )
    region_totals = {
        code: sum(r.regions[code] for r in class_rows)
        for code in [*regions, *(["none"] if has_none else [])]
    }
    class_total = ClassRow(
        contribution_class=_("Total"),
        regions=region_totals,
        total=sum(r.total for r in class_rows),
        units=sum((r.units for r in class_rows), Decimal(0)),
        dues_chf=sum((r.dues_chf for r in class_rows), ZERO),
    )
    region_columns = [Column(code, code, INT) for code in regions]
    if has_none:
        region_columns.append(Column("none", _("No region"), INT))

    consequence = Membership.ArrearsConsequence
    in_arrears = (
        current.filter(arrears_chf__gt=0)
        .with_arrears_consequence(year)
        .select_related("partner__country")
        .order_by("-arrears_chf", "partner__name")
    )
    arrears_rows = []
    severity = {value: i for i, value in enumerate(consequence.values)}
    for m in sorted(in_arrears, key=lambda m: severity[m.consequence]):
        dues = m.annual_dues_chf(year, member_state_unit=unit)
        label = m.get_type_display() + (f" {m.sector}" if m.sector else "")
        outcome = m.arrears_consequence()
        arrears_rows.append(
            ArrearsRow(
                partner=m.partner.name,
                membership=label,
                region=_region_label(
                    m.partner.country.itu_region if m.partner.country else None
                ),
                contribution_class=m.class_display,
                annual_dues_chf=dues,
                arrears_chf=m.arrears_chf,
                arrears_as_of=m.arrears_as_of,
                years_of_dues=(m.arrears_chf / dues).quantize(Decimal("0.1"))
                if dues
                else None,
                consequence="" if outcome == consequence.NONE else str(outcome.label),
            )
        )
    arrears_total = sum((r.arrears_chf for r in arrears_rows), ZERO)
    vote_lost = sum(1 for m in in_arrears if m.consequence == consequence.VOTE_LOST)
    return Report(
        slug="membership",
        title=_("Membership and dues"),
        period=Period.year(year),
        tables=[
            Table(
                key="classes",
                title=_("Member States by class of contribution and ITU region"),
                columns=[
                    Column("contribution_class", _("Class")),
                    *region_columns,
                    Column("total", _("Member States"), INT),
                    Column("units", _("Units"), NUMBER),
                    Column(
                        "dues_chf",
                        _("Dues %(year)s (CHF)") % {"year": year},
                        MONEY_KIND,
                    ),
                ],
                rows=class_rows,
                total=class_total,
                chart=charts.bar_chart(
                    [str(Country.Region(code).label) for code in regions],
                    [
                        (
                            _("Member States"),
                            charts.TARGET_COLOUR,
                            [Decimal(region_totals[c]) for c in regions],
                        )
                    ],
                    label=_("Member States by ITU region"),
                    money=False,
                ),
                note=_("Regions: %(regions)s.")
                % {
                    "regions": ", ".join(
                        f"{code} {label}" for code, label in Country.Region.choices
                    )
                },
                empty=_("No current Member State membership."),
            ),
            Table(
                key="arrears",
                title=_("Members with arrears"),
                columns=[
                    Column("partner", _("Partner")),
                    Column("membership", _("Membership")),
                    Column("region", _("ITU region")),
                    Column("contribution_class", _("Class")),
                    Column("annual_dues_chf", _("Annual dues (CHF)"), MONEY_KIND),
                    Column("arrears_chf", _("Arrears (CHF)"), MONEY_KIND),
                    Column("arrears_as_of", _("As of"), DATE),
                    Column("years_of_dues", _("Years of dues"), NUMBER),
                    Column("consequence", _("Consequence")),
                ],
                rows=arrears_rows,
                total=None,
                note=_(
                    "A Member State loses its vote when its arrears reach its "
                    "contributions due for the two preceding years (%(prev)s and "
                    "%(prev2)s); a Sector Member, Associate or Academia member is "
                    "liable to suspension when its arrears reach a year of dues."
                )
                % {"prev": year - 1, "prev2": year - 2},
                empty=_("No member in arrears."),
            ),
        ],
        headline=[
            (_("Member States"), str(class_total.total)),
            (_("Members in arrears"), str(len(arrears_rows))),
            (_("Arrears"), _chf_text(arrears_total)),
            (_("Vote lost"), str(vote_lost)),
        ],
    )
