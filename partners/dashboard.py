"""Start-page panels of the partners app, registered from ``partners/admin.py``.

Each provider takes the request and returns ``(template_name, context)``
pairs (see ``crm.admin_site``); it makes a fixed number of queries.
"""

from __future__ import annotations

from django.db.models import Case, Count, F, IntegerField, When
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from crm.admin_helpers import changelist_url
from crm.admin_site import Panel
from crm.lib.formats import format_money
from partners.managers import STALE_AFTER
from partners.models import Contact, Engagement, FollowUp, Membership, Partner

ARREARS_ROWS = 10
START_PAGE_ROWS = 10


def arrears_panel(request: HttpRequest) -> list[Panel]:
    """Current members whose arrears cost them something, worst first.

    The consequence is ``Membership.arrears_consequence()`` for this year, as
    on the membership report, in briefs and in the membership list.
    """
    if not request.user.has_perm("partners.view_membership"):
        return []
    outcome = Membership.ArrearsConsequence
    memberships = (
        Membership.objects.current()
        .with_arrears_consequence()
        .exclude(consequence=outcome.NONE)
    )
    counts = dict(
        memberships.order_by()
        .values_list("consequence")
        .annotate(n=Count("pk"))
        .values_list("consequence", "n")
    )
    severity = Case(
        *(When(consequence=value, then=i) for i, value in enumerate(outcome.values)),
        output_field=IntegerField(),
    )
    rows = memberships.select_related("partner").order_by(
        severity, "-arrears_chf", "pk"
    )[: ARREARS_ROWS + 1]
    url = reverse("admin:partners_membership_changelist")
    return [
        (
            "admin/partners/panels/start_arrears.html",
            {
                "counts": [
                    (
                        consequence.label,
                        counts.get(consequence, 0),
                        f"{url}?{urlencode({'consequence': consequence})}",
                    )
                    for consequence in outcome
                    if consequence != outcome.NONE
                ],
                "memberships": [
                    (
                        m,
                        format_money(m.arrears_chf),
                        m.arrears_consequence().label,
                    )
                    for m in rows
                ],
                "rows": ARREARS_ROWS,
            },
        )
    ]


def start_page_panels(request: HttpRequest) -> list[Panel]:
    """The task-force member's start page: their follow-ups, recent contacts,
    partners gone quiet and the headline counts."""
    user = request.user
    today = timezone.localdate()
    panels: list[Panel] = []
    can_view = {
        model: user.has_perm(f"partners.view_{model._meta.model_name}")
        for model in (Partner, Contact, Engagement, FollowUp)
    }

    counts = []
    if can_view[Partner]:
        counts.append(
            (
                _("Active partners"),
                Partner.objects.filter(is_active=True).count(),
                changelist_url(Partner, is_active__exact=1),
            )
        )
        counts.append(
            (
                _("Member States"),
                Partner.objects.member_states().count(),
                changelist_url(
                    Partner,
                    category__exact=Partner.Category.GOVERNMENT,
                    country__is_itu_member_state__exact=1,
                ),
            )
        )
    if can_view[Contact]:
        counts.append((_("Contacts"), Contact.objects.count(), changelist_url(Contact)))
    if can_view[Engagement]:
        counts.append(
            (
                _("Engagements this year"),
                Engagement.objects.visible_to(user)
                .filter(date__year=today.year)
                .count(),
                changelist_url(Engagement, date__year=today.year),
            )
        )
    if can_view[FollowUp]:
        counts.append(
            (
                _("Open follow-ups"),
                FollowUp.objects.visible_to(user).open().count(),
                changelist_url(FollowUp, status__exact="open", assignee="all"),
            )
        )
    if counts:
        panels.append(("admin/partners/panels/start_counts.html", {"counts": counts}))

    if can_view[FollowUp]:
        mine = (
            FollowUp.objects.visible_to(user)
            .filter(assignee=user)
            .select_related("partner", "engagement")
            .order_by("due_date", "pk")
        )
        panels.append(
            (
                "admin/partners/panels/start_followups.html",
                {
                    "overdue": list(mine.overdue()[: START_PAGE_ROWS + 1]),
                    "upcoming": list(mine.upcoming(days=14)[: START_PAGE_ROWS + 1]),
                    "rows": START_PAGE_ROWS,
                    "overdue_url": changelist_url(FollowUp, due="overdue"),
                    "upcoming_url": changelist_url(FollowUp, status__exact="open"),
                },
            )
        )

        team = (
            FollowUp.objects.visible_to(user)
            .overdue()
            .exclude(assignee=user)
            .select_related("partner", "assignee")
            .order_by("due_date", "pk")
        )
        panels.append(
            (
                "admin/partners/panels/start_team_followups.html",
                {
                    "overdue": list(team[: START_PAGE_ROWS + 1]),
                    "rows": START_PAGE_ROWS,
                    "all_url": changelist_url(FollowUp, due="overdue", assignee="all"),
                },
            )
        )

    if can_view[Engagement]:
        panels.append(
            (
                "admin/partners/panels/start_engagements.html",
                {
                    "engagements": list(
                        Engagement.objects.visible_to(user).prefetch_related(
                            "partners"
                        )[:START_PAGE_ROWS]
                    ),
                    "all_url": changelist_url(Engagement),
                    "add_url": reverse("admin:partners_engagement_add")
                    if user.has_perm("partners.add_engagement")
                    else None,
                },
            )
        )

    if can_view[Partner]:
        quiet = (
            Partner.objects.not_contacted_since(today - STALE_AFTER, user)
            .with_activity(user)
            .select_related("country", "owner")
            .order_by("priority", F("last_engagement_on").asc(nulls_first=True), "name")
        )
        panels.append(
            (
                "admin/partners/panels/start_quiet_partners.html",
                {
                    "partners": list(quiet[: START_PAGE_ROWS + 1]),
                    "rows": START_PAGE_ROWS,
                    "all_url": changelist_url(Partner, contacted="stale"),
                },
            )
        )
    return panels
