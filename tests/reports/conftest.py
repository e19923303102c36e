"""Partners with a history to print, users who may print, and a PDF reader."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from pypdf import PdfReader

from partners.models import Affiliation, Engagement, Membership
from tests.factories import (
    AffiliationFactory,
    ContactFactory,
    CountryFactory,
    EngagementFactory,
    EventFactory,
    FollowUpFactory,
    GovernmentFactory,
    InstallmentFactory,
    MembershipFactory,
    PaymentFactory,
    PledgeFactory,
    UnitValueFactory,
    UserFactory,
)

ARABIC_NAME = "أمينة السيد"
CHINESE_NAME = "王伟"


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page, with runs of any kind of space made one space."""
    reader = PdfReader(io.BytesIO(content))
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in reader.pages]


def pdf_text(content: bytes) -> str:
    return " ".join(pdf_pages(content))


def _user(username: str, *codenames: str):
    user = UserFactory(username=username, first_name="Claire", last_name=username)
    viewing = Permission.objects.filter(
        content_type__app_label__in=["partners", "crm", "pledges"]
    ).exclude(codename="view_confidential_engagement")
    user.user_permissions.set(
        [*viewing, *Permission.objects.filter(codename__in=codenames)]
    )
    return type(user).objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def printer(db):
    """May print briefs; may not see confidential engagements."""
    return _user("printer", "print_brief")


@pytest.fixture
def officer(db):
    """May print briefs and see confidential engagements."""
    return _user("officer", "print_brief", "view_confidential_engagement")


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def rich_partner(db, today):
    """A Member State government with contacts, engagements, follow-ups and money.

    Figures, all CHF: pledged 100,000 (signed) in two installments of 50,000,
    the first due 30 days ago; 40,000 received, so 60,000 outstanding and
    10,000 overdue. Class 1 x unit 318,000 = dues 318,000; arrears 700,000.
    """
    UnitValueFactory(year=today.year, member_state_unit_chf=Decimal("318000.00"))
    country = CountryFactory(name_en="Freedonia", name_fr="Fredonie", iso3="FRD")
    partner = GovernmentFactory(
        country=country,
        name="Government of Freedonia",
        name_fr="Gouvernement de la Fredonie",
        short_name="FRD",
    )
    MembershipFactory(
        partner=partner,
        type=Membership.Type.MEMBER_STATE,
        contribution_class=Decimal("1"),
        arrears_chf=Decimal("700000.00"),
        arrears_as_of=today,
    )
    ambassador = ContactFactory(title="H.E.", first_name="Amina", last_name=ARABIC_NAME)
    counsellor = ContactFactory(title="Mr", first_name="Wei", last_name=CHINESE_NAME)
    former = ContactFactory(first_name="Pierre", last_name="Ancien")
    AffiliationFactory(
        contact=ambassador,
        partner=partner,
        role=Affiliation.Role.AMBASSADOR,
        is_primary=True,
        start_date=today - dt.timedelta(days=100),
    )
    AffiliationFactory(
        contact=counsellor, partner=partner, role=Affiliation.Role.COUNSELLOR
    )
    AffiliationFactory(
        contact=former,
        partner=partner,
        role=Affiliation.Role.DEPUTY,
        start_date=dt.date(2020, 1, 1),
        end_date=today - dt.timedelta(days=30),
    )
    event = EventFactory(name="WSIS Forum", start_date=dt.date(2025, 7, 8))
    EngagementFactory(
        partners=[partner],
        contacts=[ambassador],
        date=dt.date(2025, 6, 1),
        subject="Courtesy call on the new ambassador",
        outcome="Agreed to renew the contribution",
        event=event,
    )
    EngagementFactory(
        partners=[partner],
        date=dt.date(2025, 5, 2),
        subject="Secret talks on the arrears plan",
        kind=Engagement.Kind.CALL,
        confidential=True,
    )
    FollowUpFactory(
        partner=partner,
        description="Send the renewal letter",
        due_date=today - dt.timedelta(days=3),
    )
    FollowUpFactory(
        partner=partner,
        description="Invite to the WSIS Forum",
        due_date=today + dt.timedelta(days=10),
    )
    pledge = PledgeFactory(
        partner=partner,
        title="Voluntary contribution",
        stage="agreement_signed",
        amount=Decimal("100000.00"),
        pledged_on=today - dt.timedelta(days=200),
        agreement_signed_on=today - dt.timedelta(days=190),
    )
    InstallmentFactory(
        pledge=pledge,
        due_date=today - dt.timedelta(days=30),
        amount=Decimal("50000.00"),
    )
    InstallmentFactory(
        pledge=pledge,
        due_date=today + dt.timedelta(days=150),
        amount=Decimal("50000.00"),
    )
    PaymentFactory(
        pledge=pledge,
        received_on=today - dt.timedelta(days=60),
        amount=Decimal("40000.00"),
    )
    return partner
