"""Personal API tokens: made and revoked on the user's own page, stored hashed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken, hash_key
from crm.roles import VIEWER
from tests.api.conftest import client_for, make_token

pytestmark = pytest.mark.django_db


def test_a_token_is_created_on_the_users_page_and_its_key_shown_once(client, role_user):
    user = role_user(VIEWER)
    client.force_login(user)
    page = reverse("api_tokens:list")
    response = client.post(
        page,
        {"name": "Power BI", "scope": "read", "expires_on": "2099-01-01"},
    )
    assert response.status_code == 200  # a date too far: the form again
    assert b"at most 365 days" in response.content
    expires = timezone.localdate() + dt.timedelta(days=30)
    response = client.post(
        page,
        {"name": "Power BI", "scope": "read", "expires_on": expires.isoformat()},
        follow=True,
    )
    token = ApiToken.objects.get(user=user)
    key = response.context["new_key"]["key"]
    assert key.encode() in response.content
    assert token.key_hash == hash_key(key)
    assert key not in {token.key_prefix, token.key_hash}
    assert key.encode() not in client.get(page).content  # never again
    assert client_for(key).get("/api/v1/partners/").status_code == 200


def test_the_page_is_in_the_user_tools_and_shows_last_use(client, role_user):
    user = role_user(VIEWER)
    token, key = make_token(user, name="Website")
    client_for(key).get("/api/v1/countries/")
    token.refresh_from_db()
    assert token.last_used_at is not None
    client.force_login(user)
    admin = client.get(reverse("admin:index"))
    assert reverse("api_tokens:list").encode() in admin.content
    page = client.get(reverse("api_tokens:list"))
    assert b"Website" in page.content
    assert timezone.localtime(token.last_used_at).strftime("%Y-%m-%d").encode() in (
        page.content
    )


def test_a_revoked_token_stops_working_at_once(client, role_user):
    user = role_user(VIEWER)
    token, key = make_token(user)
    api = client_for(key)
    assert api.get("/api/v1/partners/").status_code == 200
    client.force_login(user)
    client.post(reverse("api_tokens:revoke", args=[token.pk]))
    response = api.get("/api/v1/partners/")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_nobody_revokes_another_users_token(client, role_user):
    token, key = make_token(role_user(VIEWER))
    other = role_user("Finance")
    client.force_login(other)
    assert client.post(reverse("api_tokens:revoke", args=[token.pk])).status_code == 404
    assert client_for(key).get("/api/v1/partners/").status_code == 200


def test_an_expired_token_is_refused_with_its_date(role_user):
    token, key = make_token(role_user(VIEWER))
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    response = client_for(key).get("/api/v1/partners/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert "expired" in response.json()["detail"]


def test_an_unknown_key_is_refused(db):
    response = client_for("crm_not-a-key").get("/api/v1/partners/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_token_of_a_deactivated_user_is_refused(role_user):
    user = role_user(VIEWER)
    _token, key = make_token(user)
    user.is_active = False
    user.save()
    assert client_for(key).get("/api/v1/partners/").status_code == 401


def test_a_read_only_token_reads_but_does_not_write(api_as, world):
    client = api_as("Task force", scope=ApiToken.Scope.READ)
    assert client.get("/api/v1/events/").status_code == 200
    response = client.post(
        "/api/v1/events/",
        {"name": "Girls in ICT Day", "start_date": "2026-04-23"},
        format="json",
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]


def test_requests_beyond_the_rate_are_refused_per_token(role_user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_token": "3/minute"},
    }
    user = role_user(VIEWER)
    _one, first = make_token(user, name="one")
    _two, second = make_token(user, name="two")
    answers = [
        client_for(first).get("/api/v1/countries/").status_code for _ in range(4)
    ]
    assert answers == [200, 200, 200, 429]
    assert client_for(second).get("/api/v1/countries/").status_code == 200


def test_an_administrator_revokes_any_token_from_the_token_list(
    admin_client, role_user
):
    token, key = make_token(role_user(VIEWER), name="Leaked")
    listing = admin_client.get(reverse("admin:api_apitoken_changelist"))
    assert b"Leaked" in listing.content
    assert key.encode() not in listing.content
    assert admin_client.get(reverse("admin:api_apitoken_add")).status_code == 403
    admin_client.post(
        reverse("admin:api_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert client_for(key).get("/api/v1/partners/").status_code == 401
