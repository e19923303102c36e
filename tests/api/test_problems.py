"""Errors answer RFC 9457 problem details naming the field and the value."""

from __future__ import annotations

import pytest

from crm.roles import TASK_FORCE
from partners.models import Event

pytestmark = pytest.mark.django_db


def test_a_bad_field_is_named_with_the_value_sent(api_as, world):
    client = api_as(TASK_FORCE)
    response = client.post(
        "/api/v1/events/",
        {"name": "AI for Good", "start_date": "2026-13-45"},
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/api/v1/problems/invalid"
    assert problem["status"] == 400
    assert problem["instance"] == "/api/v1/events/"
    assert problem["errors"] == [
        {
            "field": "start_date",
            "value": "2026-13-45",
            "message": problem["errors"][0]["message"],
        }
    ]
    assert "start_date" in problem["detail"] and "2026-13-45" in problem["detail"]
    assert not Event.objects.filter(name="AI for Good").exists()


def test_the_models_own_rules_answer_as_field_errors(api_as, world):
    client = api_as(TASK_FORCE)
    response = client.post(
        "/api/v1/events/",
        {"name": "WSIS", "start_date": "2026-07-07", "end_date": "2026-07-01"},
        format="json",
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "end_date"
    assert error["value"] == "2026-07-01"
    assert "before it starts" in error["message"]


def test_a_government_without_country_is_refused_like_in_the_admin(api_as, world):
    response = api_as(TASK_FORCE).post(
        "/api/v1/partners/",
        {"name": "Government of Nowhere", "category": "government"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "country"


def test_deleting_a_partner_with_engagements_is_a_conflict(api_as, world):
    response = api_as("Administrator").delete(
        f"/api/v1/partners/{world['partner'].pk}/"
    )
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert "inactive" in response.json()["detail"]


def test_an_unknown_record_is_a_not_found_problem(api_as, world):
    response = api_as(TASK_FORCE).get("/api/v1/partners/999999/")
    assert response.status_code == 404
    assert response.json()["title"] == "Not found"


def test_an_unreadable_body_is_a_problem_not_a_crash(api_as, world):
    response = api_as(TASK_FORCE).generic(
        "POST", "/api/v1/events/", b"{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
