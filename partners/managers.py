"""Named lookups for partners, contacts, engagements and follow-ups."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.db.models import (
    Case,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from crm.roles import CONFIDENTIAL_PERMISSION

MONEY = models.DecimalField(max_digits=18, decimal_places=2)

# "Not contacted for six months", as the start page and the filter say it.
STALE_AFTER = dt.timedelta(days=183)


def _today() -> dt.date:
    return timezone.localdate()


class PartnerQuerySet(models.QuerySet):
    def member_states(self) -> PartnerQuerySet:
        return self.filter(category="government", country__is_itu_member_state=True)

    def search(self, term: str) -> PartnerQuerySet:
        """The partners ``term`` finds, best first; all of them if blank.

        The rules, the ranking and why it reads the indexes as it does:
        ``partners.search``.
        """
        # partners.search imports the models, which import this module.
        from partners.search import search

        return search(self, term)

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


# A Member State loses its vote while its arrears equal or exceed its
# contributions due for the two preceding years (ITU Constitution, art. 28
# No. 169).
VOTE_LOSS_YEARS = 2
# Sector Members, Associates and Academia whose arrears reach a year of dues
# are liable to suspension (ITU Convention, art. 33; Council decisions).
SUSPENSION_YEARS = 1


class MembershipQuerySet(models.QuerySet):
    def current(self) -> MembershipQuerySet:
        today = _today()
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=today)).exclude(
            status="ended"
        )

    def with_arrears_consequence(self, year: int | None = None) -> MembershipQuerySet:
        """Annotate ``consequence``: what the arrears cost each membership in ``year``.

        The organisation's one arrears rule, in order:

        1. a Member State whose arrears equal or exceed its contributions due
           for the two preceding years has lost its vote (``vote_lost``);
        2. a suspended membership is ``suspended``, whatever its arrears;
        3. any other member whose arrears reach a year of its dues (class x
           the preceding year's Sector Member unit) is ``liable`` to
           suspension;
        4. otherwise ``none``.

        The units come from ``UnitValue`` in one query; the rest is SQL, so a
        list can filter, count and order by the consequence. The Member State
        unit of ``year`` comes along as ``member_state_unit_chf``, so a list
        can show dues (``Membership.annual_dues_chf``) without looking it up.
        """
        from partners.models import SECTOR_MEMBER_UNIT_SHARE, Membership, UnitValue

        year = year or _today().year
        preceding = range(year - VOTE_LOSS_YEARS, year)
        units = UnitValue.for_years([*preceding, year])
        vote_units = sum((units[y] for y in preceding), Decimal(0))
        suspension_units = units[year - 1] * SECTOR_MEMBER_UNIT_SHARE * SUSPENSION_YEARS

        def dues(amount: Decimal):
            return ExpressionWrapper(
                F("contribution_class") * Value(amount, output_field=MONEY),
                output_field=MONEY,
            )

        is_state = Q(type=Membership.Type.MEMBER_STATE)
        consequence = Membership.ArrearsConsequence
        return self.annotate(
            member_state_unit_chf=Value(units[year], output_field=MONEY),
            consequence=Case(
                When(
                    is_state & Q(arrears_chf__gte=dues(vote_units)),
                    then=Value(consequence.VOTE_LOST),
                ),
                When(
                    status=Membership.Status.SUSPENDED,
                    then=Value(consequence.SUSPENDED),
                ),
                When(
                    ~is_state & Q(arrears_chf__gte=dues(suspension_units)),
                    then=Value(consequence.LIABLE_TO_SUSPENSION),
                ),
                default=Value(consequence.NONE),
                output_field=models.CharField(),
            ),
        )


class ContactQuerySet(models.QuerySet):
    def with_picker_label(self, partner_ids=()) -> ContactQuerySet:
        """Annotate what ``Contact.picker_label`` shows, in the same query.

        The role is the contact's best affiliation: a current one before an
        ended one, at one of ``partner_ids`` before elsewhere, the primary
        before others, the latest first. ``picker_rank`` is 0 for contacts now
        at one of ``partner_ids`` (a picker lists them first), else 1.
        """
        from partners.models import Affiliation

        today = _today()
        partner_ids = [int(pk) for pk in partner_ids]
        current = Q(end_date__isnull=True) | Q(end_date__gte=today)
        best = (
            Affiliation.objects.filter(contact=OuterRef("pk"))
            .annotate(
                _ended=Case(
                    When(current, then=Value(0)),
                    default=Value(1),
                    output_field=models.IntegerField(),
                ),
                _elsewhere=Case(
                    When(partner_id__in=partner_ids, then=Value(0)),
                    default=Value(1),
                    output_field=models.IntegerField(),
                ),
            )
            .order_by(
                "_ended",
                "_elsewhere",
                "-is_primary",
                F("end_date").desc(nulls_first=True),
                F("start_date").desc(nulls_last=True),
                "-pk",
            )
        )

        def pick(name: str, field):
            return Subquery(best.values(name)[:1], output_field=field)

        text = models.CharField()
        return self.annotate(
            picker_role=pick("role", text),
            picker_position=pick("position", text),
            picker_partner=pick("partner__name", text),
            picker_partner_short=pick("partner__short_name", text),
            picker_ended=pick("_ended", models.IntegerField()),
            picker_rank=Case(
                When(
                    Exists(
                        Affiliation.objects.filter(
                            current, contact=OuterRef("pk"), partner_id__in=partner_ids
                        )
                    ),
                    then=Value(0),
                ),
                default=Value(1),
                output_field=models.IntegerField(),
            ),
        )

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
