"""The data of briefs and packs: what they hold, how many queries, the print log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from reports.briefs.build import brief_build
from reports.briefs.data import BriefRequest
from reports.briefs.printing import brief_is_large, brief_print
from reports.models import PrintLog
from tests.factories import (
    AffiliationFactory,
    EngagementFactory,
    FollowUpFactory,
    GovernmentFactory,
    MeetingFactory,
    PartnerFactory,
    PaymentFactory,
    PledgeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def build(partner_ids, user=None, **kwargs):
    with translation.override("en"):
        return brief_build(request=BriefRequest.for_partners(partner_ids), user=user)


def test_it_builds_the_money_figures_of_a_partner(rich_partner, officer):
    money = build([rich_partner.pk], officer).briefs[0].money

    assert money.total_pledged_chf == Decimal("100000.00")
    assert money.total_received_chf == Decimal("40000.00")
    assert money.outstanding_chf == Decimal("60000.00")
    assert money.overdue_chf == Decimal("10000.00")
    assert [(y.pledged_chf, y.received_chf) for y in money.years][-1][1] == Decimal(
        "40000.00"
    )
    assert money.chart_svg.startswith("<svg")


def test_it_flags_arrears_that_cost_a_member_state_its_vote(rich_partner, officer):
    brief = build([rich_partner.pk], officer).briefs[0]
    membership = brief.memberships[0]

    assert membership.annual_dues_chf == Decimal("318000.00")
    assert membership.arrears_years == Decimal("2.2")
    assert membership.loses_vote
    assert "loses its right to vote" in membership.arrears_note
    assert any("lost its right to vote" in point for point in brief.key_points)


def test_it_lists_current_contacts_primary_first_and_who_left_recently(
    rich_partner, officer
):
    brief = build([rich_partner.pk], officer).briefs[0]

    assert brief.contacts[0].is_primary
    assert brief.contacts[0].role == "Ambassador / Permanent Representative"
    assert [p.name for p in brief.former_contacts] == ["Pierre Ancien"]


def test_it_puts_overdue_follow_ups_first(rich_partner, officer):
    followups = build([rich_partner.pk], officer).briefs[0].followups

    assert [f.is_overdue for f in followups] == [True, False]
    assert followups[0].days_overdue == 3


def test_it_hides_confidential_engagements_from_users_without_the_permission(
    rich_partner, printer, officer
):
    shown = [e.subject for e in build([rich_partner.pk], printer).briefs[0].engagements]
    assert shown == ["Courtesy call on the new ambassador"]

    shown = [e.subject for e in build([rich_partner.pk], officer).briefs[0].engagements]
    assert "Secret talks on the arrears plan" in shown


def test_it_hides_confidential_engagements_from_the_command_line(rich_partner):
    pack = build([rich_partner.pk], AnonymousUser())

    assert not pack.includes_confidential
    assert len(pack.briefs[0].engagements) == 1


def test_it_cuts_long_histories_and_counts_what_went_to_the_annex(settings):
    settings.REPORTS_BRIEF_ENGAGEMENTS = 3
    partner = PartnerFactory()
    for day in range(1, 8):
        EngagementFactory(partners=[partner], date=dt.date(2025, 1, day))

    pack = build([partner.pk])

    assert [e.date.day for e in pack.briefs[0].engagements] == [7, 6, 5]
    assert pack.briefs[0].earlier_engagements == 4
    assert len(pack.annex) == 7


def test_it_shows_follow_ups_of_engagements_shared_with_other_partners():
    first, second = PartnerFactory(), PartnerFactory()
    engagement = EngagementFactory(partners=[first, second])
    FollowUpFactory(engagement=engagement, partner=first, description="Draft MoU")

    pack = build([second.pk])

    assert [f.description for f in pack.briefs[0].followups] == ["Draft MoU"]


def _history(partner, size: int) -> None:
    staff = UserFactory()
    for i in range(size):
        engagement = EngagementFactory(
            partners=[partner], date=dt.date(2024, 1, 1) + dt.timedelta(days=i)
        )
        engagement.staff.set([staff])
        AffiliationFactory(partner=partner)
        FollowUpFactory(partner=partner, engagement=engagement)
        pledge = PledgeFactory(partner=partner, pledged_on=dt.date(2015 + i % 10, 1, 1))
        PaymentFactory(pledge=pledge, received_on=dt.date(2016 + i % 9, 1, 1))


def test_the_number_of_queries_does_not_grow_with_history(officer):
    short, long = GovernmentFactory(), GovernmentFactory()
    _history(short, 1)
    _history(long, 25)
    build([short.pk], officer)  # warm the permission cache

    with CaptureQueriesContext(connection) as for_short:
        build([short.pk], officer)
    with CaptureQueriesContext(connection) as for_long:
        build([long.pk], officer)

    assert len(for_long) == len(for_short)


def test_a_meeting_pack_takes_a_bounded_number_of_queries(
    rich_partner, officer, django_assert_max_num_queries
):
    meeting = MeetingFactory(partners=[rich_partner, PartnerFactory()])
    larger = MeetingFactory(partners=[PartnerFactory() for _ in range(6)])

    # The same bound for two partners and for six: documents and asks are
    # read for all partners at once.
    with django_assert_max_num_queries(30), translation.override("en"):
        brief_build(request=BriefRequest.for_meetings([larger.pk]), user=officer)
    with django_assert_max_num_queries(30), translation.override("en"):
        pack = brief_build(
            request=BriefRequest.for_meetings([meeting.pk]), user=officer
        )

    assert pack.briefs[0].name == "Government of Freedonia"
    assert pack.meetings[0].talking_points == [
        "Thank for the 2024 contribution",
        "Invite to the WSIS Forum",
    ]


def test_a_partner_without_history_has_no_history():
    brief = build([PartnerFactory().pk]).briefs[0]

    assert not brief.has_history
    assert brief.key_points == ["No contact with this partner is recorded."]


def test_it_names_partners_that_do_not_exist():
    with pytest.raises(ValidationError, match="No partner with id 999999"):
        build([999999])


def test_it_refuses_a_user_without_the_print_permission(rich_partner):
    user = UserFactory(username="viewer")

    with pytest.raises(ValidationError, match="not allowed to print"):
        brief_print(request=BriefRequest.for_partners([rich_partner.pk]), user=user)
    assert not PrintLog.objects.exists()


def test_big_packs_go_to_the_background(settings):
    settings.REPORTS_BACKGROUND_PARTNERS = 2
    partners = [PartnerFactory().pk for _ in range(3)]

    assert brief_is_large(build(partners))
    assert not brief_is_large(build(partners[:2]))
