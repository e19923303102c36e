"""Named lookups for partners, contacts, engagements and follow-ups."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from crm.roles import CONFIDENTIAL_PERMISSION


def _today() -> dt.date:
    return timezone.localdate()


class PartnerQuerySet(models.QuerySet):
    def member_states(self) -> PartnerQuerySet:
        return self.filter(category="government", country__is_itu_member_state=True)

    def with_activity(self, user=None) -> PartnerQuerySet:
        """Annotate last engagement date and open / overdue follow-up counts.

        Subqueries rather than joins, so the counts stay right and one query
        serves a whole list.
        """
        from partners.models import Engagement, FollowUp

        engagements = Engagement.objects.visible_to(user).filter(
            partners=OuterRef("pk")
        )
        last = engagements.order_by("-date").values("date")[:1]
        open_followups = (
            FollowUp.objects.visible_to(user)
            .filter(partner=OuterRef("pk"), status="open")
            .order_by()
            .values("partner")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        overdue = (
            FollowUp.objects.visible_to(user)
            .filter(partner=OuterRef("pk"), status="open", due_date__lt=_today())
            .order_by()
            .values("partner")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.annotate(
            last_engagement_on=Subquery(last),
            open_followup_count=models.functions.Coalesce(Subquery(open_followups), 0),
            overdue_followup_count=models.functions.Coalesce(Subquery(overdue), 0),
        )

    def with_overdue_followups(self, user=None) -> PartnerQuerySet:
        from partners.models import FollowUp

        return self.filter(
            Exists(
                FollowUp.objects.visible_to(user).filter(
                    partner=OuterRef("pk"), status="open", due_date__lt=_today()
                )
            )
        )

    def not_contacted_since(self, since: dt.date, user=None) -> PartnerQuerySet:
        """Active partners with no engagement on or after ``since`` (or none at all)."""
        from partners.models import Engagement

        recent = Engagement.objects.visible_to(user).filter(
            partners=OuterRef("pk"), date__gte=since
        )
        return self.filter(is_active=True).exclude(Exists(recent))


class MembershipQuerySet(models.QuerySet):
    def current(self) -> MembershipQuerySet:
        today = _today()
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=today)).exclude(
            status="ended"
        )


class ContactQuerySet(models.QuerySet):
    def current_at(self, partner) -> ContactQuerySet:
        today = _today()
        return self.filter(
            Q(affiliations__end_date__isnull=True)
            | Q(affiliations__end_date__gte=today),
            affiliations__partner=partner,
        ).distinct()


def sees_confidential(user) -> bool:
    """Whether ``user`` may see confidential engagements, and so mark them so.

    ``user=None`` means a system context (commands, seeds) that sees all.
    """
    return user is None or user.has_perm(CONFIDENTIAL_PERMISSION)


class EngagementQuerySet(models.QuerySet):
    def visible_to(self, user) -> EngagementQuerySet:
        """Hide confidential engagements from users without the permission."""
        if sees_confidential(user):
            return self
        return self.filter(confidential=False)


class FollowUpQuerySet(models.QuerySet):
    def visible_to(self, user) -> FollowUpQuerySet:
        if sees_confidential(user):
            return self
        return self.exclude(engagement__confidential=True)

    def open(self) -> FollowUpQuerySet:
        return self.filter(status="open")

    def overdue(self) -> FollowUpQuerySet:
        return self.open().filter(due_date__lt=_today())

    def upcoming(self, days: int = 14) -> FollowUpQuerySet:
        today = _today()
        return self.open().filter(
            due_date__gte=today, due_date__lte=today + dt.timedelta(days=days)
        )
