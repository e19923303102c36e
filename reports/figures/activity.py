"""Report 4: engagement activity and dormant partners."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from crm.models import Country
from partners.models import Engagement, Partner
from reports import charts
from reports.figures.tables import (
    DATE,
    INT,
    Column,
    Report,
    Table,
    ids_of,
    region_label,
    report_today,
    user_name,
)
from reports.filters import Period


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
    today = report_today(today)
    visible = Engagement.objects.visible_to(user)
    selected = visible.filter(
        pk__in=ids_of(engagements), date__range=(period.start, period.end)
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
            user_name(
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
        Partner.objects.filter(pk__in=ids_of(partners), is_active=True)
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
            region=region_label(r["country__itu_region"]),
            owner=user_name(
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
