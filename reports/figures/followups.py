"""Report 5: follow-ups by assignee, completion and open items."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Min, Q, QuerySet
from django.utils.translation import gettext as _

from partners.models import FollowUp
from reports import charts
from reports.figures.tables import (
    DATE,
    INT,
    PERCENT,
    Column,
    Report,
    Table,
    ids_of,
    percent_of,
    percent_text,
    report_today,
    user_name,
)
from reports.filters import Period

SOON_DAYS = 14


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
    today = report_today(today)
    selected = FollowUp.objects.visible_to(user).filter(pk__in=ids_of(followups))
    names = (
        "assignee",
        "assignee__username",
        "assignee__first_name",
        "assignee__last_name",
    )

    def name_of(r: dict) -> str:
        if not r["assignee"]:
            return _("Nobody")
        return user_name(
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
            assignee=user_name(
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
