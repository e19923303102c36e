"""Confidential engagements stay out of every answer for those not allowed.

Each endpoint is read (list and record) by a Task force member without the
permission; neither the engagement nor its follow-up may show, in records,
nested lists, searches or counts. With the permission they are there.
"""

from __future__ import annotations

import pytest

from api.urls import router
from crm.roles import TASK_FORCE
from tests.api.test_permissions import ENDPOINTS, detail_url, record_of

pytestmark = pytest.mark.django_db

SECRETS = (b"Secret envoy", b"Call the envoy back")


@pytest.fixture
def outsider(api_as):
    return api_as(TASK_FORCE)


@pytest.fixture
def insider(api_as):
    return api_as("Administrator", confidential=True)


def everything(client, prefix, viewset, world) -> bytes:
    pages = [
        client.get(f"/api/v1/{prefix}/"),
        client.get(detail_url(prefix, viewset, record_of(world, viewset))),
    ]
    assert [p.status_code for p in pages] == [200, 200]
    return b"".join(p.content for p in pages)


@pytest.mark.parametrize(
    ("prefix", "viewset"), ENDPOINTS, ids=[p for p, _ in ENDPOINTS]
)
def test_no_endpoint_shows_a_confidential_engagement_to_an_outsider(
    outsider, world, prefix, viewset
):
    content = everything(outsider, prefix, viewset, world)
    assert not any(secret in content for secret in SECRETS)


def test_the_engagements_with_their_follow_ups_show_to_an_insider(insider, world):
    content = everything(insider, "engagements", dict(ENDPOINTS)["engagements"], world)
    assert all(secret in content for secret in SECRETS)


def test_a_confidential_engagement_is_not_found_for_an_outsider(outsider, world):
    secret = world["secret"]
    assert outsider.get(f"/api/v1/engagements/{secret.pk}/").status_code == 404
    followup = world["secret_followup"]
    assert outsider.get(f"/api/v1/followups/{followup.pk}/").status_code == 404
    changed = outsider.patch(
        f"/api/v1/engagements/{secret.pk}/", {"subject": "Leak"}, format="json"
    )
    assert changed.status_code == 404
    secret.refresh_from_db()
    assert secret.subject == "Secret envoy"


def test_search_does_not_find_a_confidential_engagement(outsider, insider, world):
    assert outsider.get("/api/v1/engagements/?search=envoy").json()["results"] == []
    found = insider.get("/api/v1/engagements/?search=envoy").json()["results"]
    assert [e["subject"] for e in found] == ["Secret envoy"]


def test_partner_counts_leave_out_confidential_engagements(outsider, insider, world):
    pk = world["partner"].pk
    theirs = outsider.get(f"/api/v1/partners/{pk}/").json()
    ours = insider.get(f"/api/v1/partners/{pk}/").json()
    # Both follow-ups are open and past due; the secret engagement is the later.
    assert (theirs["open_followup_count"], theirs["overdue_followup_count"]) == (1, 1)
    assert (ours["open_followup_count"], ours["overdue_followup_count"]) == (2, 2)
    assert theirs["last_engagement_on"] == "2025-06-01"
    assert ours["last_engagement_on"] == "2025-09-01"


def test_a_follow_up_cannot_be_hung_on_a_confidential_engagement_by_an_outsider(
    outsider, world
):
    response = outsider.post(
        "/api/v1/followups/",
        {
            "engagement": world["secret"].pk,
            "description": "Probe",
            "assignee": outsider.user.username,
            "due_date": "2030-01-01",
        },
        format="json",
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "engagement"
    # The same answer as for an engagement that does not exist.
    missing = outsider.post(
        "/api/v1/followups/",
        {
            "engagement": 999999,
            "description": "Probe",
            "assignee": outsider.user.username,
            "due_date": "2030-01-01",
        },
        format="json",
    ).json()["errors"][0]["message"]
    assert error["message"].replace(str(world["secret"].pk), "N") == missing.replace(
        "999999", "N"
    )


def test_filtering_follow_ups_by_a_confidential_engagement_finds_nothing(
    outsider, world
):
    response = outsider.get(f"/api/v1/followups/?engagement={world['secret'].pk}")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_the_router_serves_the_endpoints_checked_here():
    assert {p for p, _v, _b in router.registry} == {p for p, _v in ENDPOINTS}
