"""Upserts by external reference and bulk writes, as the ERP would send them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.roles import FINANCE, TASK_FORCE
from partners.models import Partner
from pledges.models import Payment, Pledge

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(api_as):
    return api_as(FINANCE)


@pytest.fixture
def task_force(api_as):
    return api_as(TASK_FORCE)


def payment(world, **extra) -> dict:
    return {
        "pledge": world["pledge"].pk,
        "received_on": "2025-07-01",
        "amount": "250.00",
        "currency": "EUR",
        "reference": "BANK-7",
        **extra,
    }


def test_the_same_payment_twice_is_new_then_unchanged(finance, world):
    url = "/api/v1/payments/by-ref/erp/R-2/"
    first = finance.put(url, payment(world), format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["outcome"] == "new"
    record = first.json()["record"]
    assert (record["amount"], record["currency"], record["amount_chf"]) == (
        "250.00",
        "EUR",
        "222.22",
    )
    assert abs(Decimal(record["chf_rate"]) - Decimal(8) / 9) < Decimal("1e-14")
    second = finance.put(url, payment(world), format="json")
    assert second.status_code == 200
    assert second.json()["outcome"] == "unchanged"
    paid = Payment.objects.get(external_source="erp", external_id="R-2")
    assert paid.history.count() == 1


def test_a_changed_payment_is_updated_through_the_payment_service(finance, world):
    url = "/api/v1/payments/by-ref/erp/R-2/"
    finance.put(url, payment(world), format="json")
    # The rest of the pledge (1000 - 100 already paid - 900 now): fulfilled.
    response = finance.put(url, payment(world, amount="900.00"), format="json")
    assert response.json()["outcome"] == "updated"
    assert Payment.objects.get(external_id="R-2").amount == Decimal("900.00")
    world["pledge"].refresh_from_db()
    assert world["pledge"].stage == Pledge.Stage.FULFILLED


def test_a_payment_can_name_its_pledge_by_the_pledges_reference(finance, world):
    body = payment(world, pledge_ref={"external_source": "erp", "external_id": "P-1"})
    del body["pledge"]
    response = finance.put("/api/v1/payments/by-ref/erp/R-3/", body, format="json")
    assert response.status_code == 201
    assert response.json()["record"]["pledge"] == world["pledge"].pk


def test_a_payment_on_a_closed_pledge_is_refused_naming_the_field(finance, world):
    Pledge.objects.filter(pk=world["pledge"].pk).update(stage="declined")
    response = finance.put(
        "/api/v1/payments/by-ref/erp/R-4/", payment(world), format="json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"][0]["field"] == "pledge"
    assert "declined" in problem["errors"][0]["message"]
    assert not Payment.objects.filter(external_id="R-4").exists()


def test_pledges_upsert_by_reference(task_force, world):
    body = {
        "partner": world["partner"].pk,
        "title": "Digital inclusion fund",
        "lever": "core",
        "stage": "pledged",
        "amount": "5000.00",
        "currency": "EUR",
        "pledged_on": "2025-05-01",
    }
    url = "/api/v1/pledges/by-ref/erp/P-9/"
    assert task_force.put(url, body, format="json").json()["outcome"] == "new"
    assert task_force.put(url, body, format="json").json()["outcome"] == "unchanged"
    changed = task_force.put(url, {**body, "amount": "6000.00"}, format="json")
    assert changed.json()["outcome"] == "updated"
    assert changed.json()["record"]["amount_chf"] == "5333.33"


def test_partners_upsert_by_code(task_force, world):
    body = {
        "name": "Acme Telecom",
        "category": "private_sector",
        "country": world["country"].iso3,
    }
    url = "/api/v1/partners/by-code/ACME/"
    first = task_force.put(url, body, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["record"]["code"] == "ACME"
    assert task_force.put(url, body, format="json").json()["outcome"] == "unchanged"
    assert Partner.objects.get(code="ACME").history.count() == 1


def bulk(client, records, valid_only=False):
    suffix = "?valid_only=1" if valid_only else ""
    return client.post(
        f"/api/v1/payments/bulk/{suffix}", {"records": records}, format="json"
    )


def test_a_bulk_with_one_bad_record_writes_nothing(finance, world):
    records = [
        payment(world, external_source="erp", external_id=f"B-{n}", amount="10.00")
        for n in range(5)
    ]
    records[3]["amount"] = "ten"
    response = bulk(finance, records)
    assert response.status_code == 400
    problem = response.json()
    assert problem["written"] is False
    assert problem["counts"] == {"new": 4, "updated": 0, "unchanged": 0, "error": 1}
    bad = problem["results"][3]
    assert bad["external_id"] == "B-3"
    assert bad["errors"][0]["field"] == "amount"
    assert bad["errors"][0]["value"] == "ten"
    assert not Payment.objects.filter(external_id__startswith="B-").exists()


def test_a_bulk_with_valid_only_writes_the_good_records(finance, world):
    records = [
        payment(world, external_source="erp", external_id=f"B-{n}", amount="10.00")
        for n in range(5)
    ]
    records[3]["amount"] = "0"
    response = bulk(finance, records, valid_only=True)
    assert response.status_code == 200
    assert response.json()["counts"]["error"] == 1
    assert Payment.objects.filter(external_id__startswith="B-").count() == 4
    again = bulk(finance, records, valid_only=True).json()["counts"]
    assert again == {"new": 0, "updated": 0, "unchanged": 4, "error": 1}


def test_a_bulk_record_without_its_key_is_an_error(finance, world):
    response = bulk(finance, [payment(world)])
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["results"][0]["errors"]}
    assert fields == {"external_source", "external_id"}


def test_a_bulk_larger_than_the_limit_is_refused(finance, world, settings):
    settings.API_BULK_MAX = 2
    records = [
        payment(world, external_source="erp", external_id=f"B-{n}") for n in range(3)
    ]
    response = bulk(finance, records)
    assert response.status_code == 400
    assert "1 to 2 records" in response.json()["detail"]


def test_writes_are_attributed_to_the_tokens_user_and_name(finance, world):
    body = payment(world, amount="900.00")  # fulfils the pledge
    finance.put("/api/v1/payments/by-ref/erp/R-5/", body, format="json")
    version = Payment.objects.get(external_id="R-5").history.get()
    assert version.history_user == finance.user
    assert version.history_change_reason == "via API token ERP sync"
    # The pledge the payment moved is attributed the same way.
    world["pledge"].refresh_from_db()
    assert world["pledge"].stage == Pledge.Stage.FULFILLED
    latest = world["pledge"].history.order_by("-history_id").first()
    assert latest.history_user == finance.user
    assert latest.history_change_reason == "via API token ERP sync"


def test_a_session_write_is_not_labelled_as_a_token_write(client, role_user, world):
    user = role_user(TASK_FORCE)
    client.force_login(user)
    partner = world["partner"]
    response = client.patch(
        f"/api/v1/partners/{partner.pk}/",
        {"notes": "Met at the WSIS Forum"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    version = partner.history.order_by("-history_id").first()
    assert (version.history_user, version.history_change_reason) == (user, None)
