"""What the endpoints read and write, as another system would use them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.roles import FINANCE, TASK_FORCE, VIEWER
from partners.models import Engagement, Partner
from pledges.models import Payment, Pledge
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def test_partners_changed_since_a_date_page_by_cursor(api_as, world):
    old = timezone.now() - dt.timedelta(days=30)
    Partner.objects.update(updated_at=old)
    fresh = [PartnerFactory(name=f"Fresh {n}") for n in range(3)]
    client = api_as(VIEWER)
    since = (old + dt.timedelta(days=1)).isoformat()
    url = f"/api/v1/partners/?updated_since={since}&ordering=updated_at&page_size=2"
    first = client.get(url.replace("+", "%2B")).json()
    second = client.get(first["next"]).json()
    ids = [p["id"] for p in first["results"] + second["results"]]
    assert ids == [p.pk for p in fresh]
    assert second["next"] is None


def test_money_comes_with_currency_chf_and_the_rate(api_as, world):
    pledge = api_as(VIEWER).get(f"/api/v1/pledges/{world['pledge'].pk}/").json()
    assert {k: pledge[k] for k in ("amount", "currency", "amount_chf")} == {
        "amount": "1000.00",
        "currency": "EUR",
        "amount_chf": "888.89",
    }
    # 0.8 / 0.9 CHF per EUR, to 16 places (SQLite's last ones pass a float).
    assert abs(Decimal(pledge["chf_rate"]) - Decimal(8) / 9) < Decimal("1e-14")
    assert pledge["rate_date"] == "2025-03-01"
    assert (pledge["received_amount"], pledge["outstanding_amount"]) == (
        "100.00",
        "900.00",
    )


def test_levers_give_the_years_figures(api_as, world):
    client = api_as(VIEWER)
    levers = client.get("/api/v1/levers/?year=2025").json()["results"]
    core = next(lever for lever in levers if lever["code"] == "core")
    assert core["target_chf"] == "1000000.00"
    assert core["received_chf"] == "88.89"
    bad = client.get("/api/v1/levers/?year=nineteen")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "year"


def test_an_engagement_is_logged_through_the_service(api_as, world):
    client = api_as(TASK_FORCE)
    response = client.post(
        "/api/v1/engagements/",
        {
            "subject": "Call with the mission",
            "kind": "call",
            "date": "2026-02-02",
            "partners": [world["partner"].pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    engagement = Engagement.objects.get(subject="Call with the mission")
    # engagement_log: the author is recorded and is the staff by default.
    assert engagement.created_by == client.user
    assert list(engagement.staff.all()) == [client.user]
    assert response.json()["staff"] == [client.user.username]
    refused = client.post(
        "/api/v1/engagements/", {"subject": "Nobody", "partners": []}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "partners"


def test_deleting_a_payment_restages_its_pledge(api_as, world):
    pledge = world["pledge"]
    client = api_as(FINANCE)
    paid = client.post(
        "/api/v1/payments/",
        {"pledge": pledge.pk, "amount": "900.00", "received_on": "2025-08-01"},
        format="json",
    )
    assert paid.status_code == 201, paid.json()
    assert paid.json()["currency"] == "EUR"
    pledge.refresh_from_db()
    assert pledge.stage == Pledge.Stage.FULFILLED
    deleted = client.delete(f"/api/v1/payments/{paid.json()['id']}/")
    assert deleted.status_code == 204
    pledge.refresh_from_db()
    assert pledge.stage == Pledge.Stage.PLEDGED
    assert Payment.objects.filter(pledge=pledge).count() == 1


def test_a_partner_page_carries_its_memberships(api_as, world):
    partner = api_as(VIEWER).get(f"/api/v1/partners/{world['partner'].pk}/").json()
    [membership] = partner["memberships"]
    assert membership["type"] == "member_state"
    assert membership["class_display"] == "1"
    assert partner["country"] == world["country"].iso3


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00-16:26", "2026-01-01T00:00:00-16:26", "yesterday"]
)
def test_a_date_the_database_cannot_hold_is_refused_or_moved_to_utc(
    api_as, world, moment
):
    response = api_as(VIEWER).get("/api/v1/partners/", {"updated_since": moment})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.json()["errors"][0]["field"] == "updated_since"


def test_a_partner_page_lists_its_aliases_and_a_search_for_one_finds_it(api_as, world):
    from partners.models import PartnerAlias

    alias = PartnerAlias(partner=world["partner"], name="Sylvanian Government")
    alias.full_clean()
    alias.save()
    client = api_as(VIEWER)

    partner = client.get(f"/api/v1/partners/{world['partner'].pk}/").json()
    found = client.get("/api/v1/partners/?search=sylvanian government").json()[
        "results"
    ]

    assert partner["aliases"] == ["Sylvanian Government"]
    assert [row["id"] for row in found] == [world["partner"].pk]
