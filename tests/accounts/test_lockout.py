"""Sign-in throttling: repeated wrong passwords pause sign-in, with a clear page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from crm.roles import ADMINISTRATOR, TASK_FORCE, VIEWER, roles_setup
from tests.accounts.conftest import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, times: int, username: str = "alice", **extra) -> None:
    for _ in range(times):
        response = sign_in(client, username, "wrong-password", **extra)
        assert response.status_code == 200
        assert "correct username and password" in response.text


def lock(client, username: str = "alice", **extra) -> None:
    fail(client, settings.AXES_FAILURE_LIMIT - 1, username, **extra)
    response = sign_in(client, username, "wrong-password", **extra)
    assert response.status_code == 429


def test_the_limit_pauses_sign_in_even_with_the_right_password(client, alice):
    assert settings.AXES_FAILURE_LIMIT == 5
    fail(client, 4)
    response = sign_in(client, "alice", "wrong-password")

    assert response.status_code == 429
    assert "Sign-in paused" in response.text
    assert "Too many failed sign-in attempts for “alice”" in response.text
    assert "paused for 15 minutes" in response.text

    response = sign_in(client)
    assert response.status_code == 429
    assert not signed_in(client)
    assert client.get("/admin/partners/partner/").status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(client, alice):
    fail(client, 4)
    assert sign_in(client).status_code == 302
    client.logout()
    fail(client, 4)
    assert sign_in(client).status_code == 302
    assert signed_in(client)


def test_the_pause_is_for_that_username_from_that_address(client, alice):
    UserFactory(username="bob")
    lock(client)
    assert sign_in(client).status_code == 429

    # A colleague behind the same address signs in.
    assert sign_in(client, "bob").status_code == 302
    client.logout()
    # Nobody elsewhere can lock alice out by typing wrong passwords.
    assert sign_in(client, REMOTE_ADDR="10.1.2.3").status_code == 302


def test_sign_in_works_again_after_the_pause(client, alice):
    lock(client)
    assert sign_in(client).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    assert sign_in(client).status_code == 302
    assert signed_in(client)


def test_failures_are_on_record_for_administrators(client, alice):
    fail(client, 2)
    assert AccessFailureLog.objects.filter(username="alice").count() == 2
    sign_in(client)
    response = client.get("/admin/axes/accessfailurelog/")
    assert response.status_code == 200
    assert response.text.count(">alice<") >= 2


def test_an_administrator_sees_and_lifts_the_pause(admin_client, alice):
    UserFactory(username="carol")
    carols = Client()
    lock(carols, "carol")
    assert sign_in(carols, "carol").status_code == 429

    page = admin_client.get("/admin/auth/user/?q=carol")
    assert 'alt="True"' in page.text.split("carol</a>")[1].split("</tr>")[0]

    carol_id = str(page.context["cl"].result_list[0].pk)
    response = admin_client.post(
        "/admin/auth/user/",
        {"action": "lift_sign_in_pause", "_selected_action": [carol_id]},
        follow=True,
    )
    assert "those users can sign in again" in response.text
    assert sign_in(carols, "carol").status_code == 302


def test_the_user_list_stays_bounded(admin_client, django_assert_max_num_queries):
    for n in range(25):
        UserFactory(username=f"member{n}")
    with django_assert_max_num_queries(8):
        response = admin_client.get("/admin/auth/user/")
    assert response.status_code == 200
    assert "member24" in response.text


@pytest.mark.parametrize(
    ("role", "status"), [(ADMINISTRATOR, 200), (TASK_FORCE, 403), (VIEWER, 403)]
)
def test_only_administrators_read_sign_in_records(role, status, alice):
    roles_setup()
    lock(Client(), "alice")
    member = UserFactory(is_staff=True)
    member.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(member)
    for url in (
        "/admin/axes/accessattempt/",
        "/admin/axes/accessfailurelog/",
        "/admin/axes/accesslog/",
    ):
        assert client.get(url).status_code == status, url


def test_an_administrator_who_is_not_superuser_lifts_a_pause(alice):
    roles_setup()
    lock(Client(), "alice")
    administrator = UserFactory(is_staff=True)
    administrator.groups.add(Group.objects.get(name=ADMINISTRATOR))
    client = Client()
    client.force_login(administrator)
    response = client.post(
        "/admin/auth/user/",
        {"action": "lift_sign_in_pause", "_selected_action": [str(alice.pk)]},
        follow=True,
    )
    assert "those users can sign in again" in response.text
    assert sign_in(Client()).status_code == 302
