"""What the partner page shows first: the partner at a glance, read only.

``partner_overview()`` gathers, in a bounded number of queries whatever the
number of records, what a person opening a partner came for: memberships
with dues and the arrears consequence, the contacts now in post with their
roles, the last and the next contact, the open follow-ups and the recent
timeline. The money (pledged, received, outstanding, overdue in CHF) is the
pledges app's: its ``PartnerAdmin`` adds that section (dependencies point
from pledges to partners, never back).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from partners.admin.common import current_first
from partners.models import (
    Affiliation,
    Engagement,
    FollowUp,
    Membership,
    Partner,
)

RECENT_ENGAGEMENTS = 8


@dataclass
class MembershipLine:
    membership: Membership
    annual_dues_chf: object
    consequence: Membership.ArrearsConsequence

    @property
    def in_arrears(self) -> bool:
        return bool(self.membership.arrears_chf)

    @property
    def has_consequence(self) -> bool:
        return self.consequence != Membership.ArrearsConsequence.NONE


@dataclass
class PartnerOverview:
    partner: Partner
    today: dt.date
    memberships: list[MembershipLine] = field(default_factory=list)
    contacts: list[Affiliation] = field(default_factory=list)
    last_engagement: Engagement | None = None
    next_engagement: Engagement | None = None
    next_followup: FollowUp | None = None
    followups: list[FollowUp] = field(default_factory=list)
    engagements: list[Engagement] = field(default_factory=list)
    engagement_total: int = 0

    @property
    def overdue_followups(self) -> int:
        return sum(1 for f in self.followups if f.is_overdue)


def partner_overview(
    *, partner: Partner, user, today: dt.date | None = None
) -> PartnerOverview:
    """The partner at a glance, as ``user`` may see it (confidential engagements
    and their follow-ups only for those allowed).

    Reads only; the number of queries does not grow with the records.
    """
    today = today or timezone.localdate()
    overview = PartnerOverview(partner=partner, today=today)

    memberships = (
        Membership.objects.filter(partner=partner)
        .current()
        .with_arrears_consequence(today.year)
        .order_by("type", "sector")
    )
    overview.memberships = [
        MembershipLine(
            membership=m,
            annual_dues_chf=m.annual_dues_chf(
                today.year, member_state_unit=m.member_state_unit_chf
            )
            if m.contribution_class is not None
            else None,
            consequence=Membership.ArrearsConsequence(m.consequence),
        )
        for m in memberships
    ]

    overview.contacts = list(
        current_first(
            Affiliation.objects.filter(partner=partner).filter(
                Q(end_date__isnull=True) | Q(end_date__gte=today)
            )
        ).select_related("contact")
    )

    engagements = Engagement.objects.visible_to(user).filter(partners=partner)
    overview.last_engagement = (
        engagements.filter(date__lte=today).order_by("-date", "-pk").first()
    )
    overview.next_engagement = (
        engagements.filter(date__gt=today).order_by("date", "pk").first()
    )
    overview.followups = list(
        FollowUp.objects.visible_to(user)
        .open()
        .filter(Q(partner=partner) | Q(engagement__in=engagements))
        .select_related("engagement", "assignee")
        .order_by("due_date", "pk")
    )
    upcoming = [f for f in overview.followups if f.due_date >= today]
    overview.next_followup = upcoming[0] if upcoming else None
    overview.engagement_total = engagements.count()
    overview.engagements = list(
        engagements.select_related("event")
        .prefetch_related("contacts", "staff")
        .order_by("-date", "-pk")[:RECENT_ENGAGEMENTS]
    )
    return overview
