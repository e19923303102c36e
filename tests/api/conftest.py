from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import api_token_create
from crm.roles import ADMINISTRATOR, FINANCE, TASK_FORCE, VIEWER, roles_setup
from tests.factories import (
    AffiliationFactory,
    ContactFactory,
    EngagementFactory,
    EventFactory,
    ExchangeRateFactory,
    FollowUpFactory,
    GovernmentFactory,
    InstallmentFactory,
    LeverFactory,
    MeetingFactory,
    MembershipFactory,
    PaymentFactory,
    PledgeFactory,
    TargetFactory,
    UserFactory,
)

ROLES = (TASK_FORCE, FINANCE, VIEWER, ADMINISTRATOR)


@pytest.fixture(autouse=True)
def _no_throttle_bleed(settings):
    # Each test starts with an empty request count.
    from django.core.cache import cache

    cache.clear()


def make_token(user, scope=ApiToken.Scope.READ_WRITE, name="ERP sync"):
    token, key = api_token_create(
        user=user,
        name=name,
        scope=scope,
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )
    return token, key


def client_for(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def role_user(db):
    roles_setup()

    def make(role: str, *, confidential: bool = False):
        user = UserFactory(username=f"{role.lower().replace(' ', '_')}-user")
        user.groups.add(Group.objects.get(name=role))
        if confidential:
            user.user_permissions.add(
                Permission.objects.get(codename="view_confidential_engagement")
            )
        return user

    return make


@pytest.fixture
def api_as(role_user):
    """``api_as(role)``: an API client with a read-write token of that role."""

    def make(role: str, *, confidential: bool = False, scope=None):
        user = role_user(role, confidential=confidential)
        _token, key = make_token(user, scope or ApiToken.Scope.READ_WRITE)
        client = client_for(key)
        client.user = user
        return client

    return make


@pytest.fixture
def world(db):
    """One record of every kind the API serves, and a confidential engagement."""
    ExchangeRateFactory(currency="EUR", units_per_usd=Decimal("0.9"))
    ExchangeRateFactory(currency="CHF", units_per_usd=Decimal("0.8"))
    rate = ExchangeRateFactory(currency="GBP", units_per_usd=Decimal("0.75"))
    partner = GovernmentFactory()
    membership = MembershipFactory(partner=partner)
    contact = ContactFactory()
    affiliation = AffiliationFactory(partner=partner, contact=contact)
    event = EventFactory()
    meeting = MeetingFactory(partners=[partner])
    open_engagement = EngagementFactory(partners=[partner], subject="Annual talks")
    secret = EngagementFactory(
        partners=[partner],
        subject="Secret envoy",
        confidential=True,
        date=dt.date(2025, 9, 1),
    )
    followup = FollowUpFactory(
        partner=partner, engagement=open_engagement, description="Send the deck"
    )
    secret_followup = FollowUpFactory(
        partner=partner,
        engagement=secret,
        description="Call the envoy back",
        due_date=dt.date(2020, 1, 1),
    )
    lever = LeverFactory(code="core")
    target = TargetFactory(lever=lever)
    pledge = PledgeFactory(
        partner=partner,
        lever=lever,
        external_source="erp",
        external_id="P-1",
        currency="EUR",
    )
    installment = InstallmentFactory(pledge=pledge)
    payment = PaymentFactory(pledge=pledge, external_source="erp", external_id="R-1")
    return {
        "partner": partner,
        "membership": membership,
        "contact": contact,
        "affiliation": affiliation,
        "event": event,
        "meeting": meeting,
        "engagement": open_engagement,
        "secret": secret,
        "followup": followup,
        "secret_followup": secret_followup,
        "lever": lever,
        "target": target,
        "pledge": pledge,
        "installment": installment,
        "payment": payment,
        "country": partner.country,
        "rate": rate,
    }
