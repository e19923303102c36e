"""After sign-in: the page asked for, or the start page when it is refused."""

from __future__ import annotations

import pytest

from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in_to(client, next_url: str):
    return client.post(
        "/admin/login/?" + "next=" + next_url,
        {"username": "alice", "password": PASSWORD, "next": next_url},
    )


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/admin/", "javascript:alert(1)", ""],
)
def test_a_refused_next_lands_on_the_admin_start_page(client, alice, next_url):
    response = sign_in_to(client, next_url)

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get(response["Location"]).status_code == 200


def test_an_allowed_next_lands_on_the_page_asked_for(client, alice):
    response = sign_in_to(client, "/admin/partners/partner/")

    assert response["Location"] == "/admin/partners/partner/"
