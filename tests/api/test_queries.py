"""Every list makes a bounded number of queries, however many rows it holds."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.test_permissions import ENDPOINTS
from tests.factories import (
    AffiliationFactory,
    EngagementFactory,
    FollowUpFactory,
    InstallmentFactory,
    MeetingFactory,
    MembershipFactory,
    PaymentFactory,
    PledgeFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

MOST = 12


def more(world, n: int = 4) -> None:
    for i in range(n):
        membership = MembershipFactory()
        partner = membership.partner
        partner.tags.add(TagFactory(name=f"tag {i}"))
        AffiliationFactory(partner=partner)
        engagement = EngagementFactory(partners=[partner], confidential=i % 2 == 0)
        FollowUpFactory(partner=partner, engagement=engagement)
        MeetingFactory(partners=[partner])
        pledge = PledgeFactory(partner=partner, lever=world["lever"])
        InstallmentFactory(pledge=pledge)
        PaymentFactory(pledge=pledge)


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("prefix", "viewset"), ENDPOINTS, ids=[p for p, _ in ENDPOINTS]
)
def test_a_list_makes_as_many_queries_for_many_rows_as_for_few(
    api_as, world, prefix, viewset, django_assert_max_num_queries
):
    client = api_as("Administrator")
    url = f"/api/v1/{prefix}/"
    client.get(url)  # the first request also records the token's last use
    few = queries(client, url)
    more(world)
    with django_assert_max_num_queries(MOST):
        client.get(url)
    assert queries(client, url) == few


def test_the_partner_search_is_the_admins(api_as, world):
    client = api_as("Administrator")
    partner = world["partner"]
    code = world["country"].iso3
    found = client.get(f"/api/v1/partners/?search={code}").json()["results"]
    assert [p["id"] for p in found] == [partner.pk]
    # Any spelling of the country, typed whole, as the admin's search allows.
    name = world["country"].name_en
    found = client.get("/api/v1/partners/", {"search": name}).json()["results"]
    assert [p["id"] for p in found] == [partner.pk]
    assert client.get("/api/v1/partners/?search=zzzz").json()["results"] == []
