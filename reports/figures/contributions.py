"""Report 3: contributions by partner group, top partners, first and lapsed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, ExtractYear
from django.utils.translation import gettext as _

from partners.models import Partner
from pledges.models import Payment, Pledge
from reports import charts
from reports.figures.tables import (
    DATE,
    INT,
    MONEY,
    MONEY_KIND,
    PERCENT,
    ZERO,
    Column,
    Report,
    Table,
    chf_text,
    ids_of,
    money,
    percent_of,
    region_label,
)
from reports.filters import Period

TOP_PARTNERS = 20


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
    selected = Pledge.objects.filter(pk__in=ids_of(pledges))
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
        grouped(F("pledge__partner__country__itu_region"), region_label),
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
            region=region_label(r["pledge__partner__country__itu_region"]),
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
            (_("Received"), chf_text(whole)),
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
            region=region_label(r["pledge__partner__country__itu_region"]),
            category=str(category_labels.get(r["pledge__partner__category"], "")),
            received_chf=money(r[amount]),
            on=r[on],
        )

    return (
        [row(r, "this_year", "first") for r in first_time],
        [row(r, "last_year", "last") for r in lapsed],
    )
