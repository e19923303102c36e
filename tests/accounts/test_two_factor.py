"""Two-factor sign-in: codes from an authenticator app, backup codes, set-up."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.conftest import code_for, sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/partners/partner/"
VERIFY = "/admin/account/two-factor/verify/"
SETUP = "/admin/account/two-factor/setup/"


def forgive(device: TOTPDevice) -> None:
    """Skip the wait that follows a wrong code (as if time had passed)."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )


def enter(client, code: str, url: str = VERIFY, next_url: str = LIST):
    return client.post(url, {"code": code, "next": next_url})


def test_with_an_app_the_password_alone_does_not_open_the_admin(client, alice_app):
    device, _codes = alice_app
    response = sign_in(client)
    assert response.status_code == 302

    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fadmin%2Fpartners%2Fpartner%2F"
    # Every admin page, the reports and their downloads included.
    for url in (
        "/admin/",
        "/admin/pledges/pledge/",
        "/admin/reports/dashboards/",
        "/admin/auth/user/",
        "/admin/account/two-factor/",
    ):
        assert client.get(url)["Location"].startswith(VERIFY), url

    page = client.get(response["Location"])
    assert "Enter the six-digit code" in page.text

    response = enter(client, "000000" if code_for(device) != "000000" else "111111")
    assert response.status_code == 200
    assert "That code is not right" in response.text
    assert client.get(LIST).status_code == 302


def test_the_right_code_opens_the_admin_where_the_user_was_going(alice_app):
    device, _codes = alice_app
    client = Client()
    sign_in(client)
    response = enter(client, code_for(device))
    assert response.status_code == 302
    assert response["Location"] == LIST
    assert client.get(LIST).status_code == 200
    device.refresh_from_db()
    assert device.last_used_at is not None


def test_a_code_is_accepted_once(alice_app):
    device, _codes = alice_app
    code = code_for(device)
    first, second = Client(), Client()
    sign_in(first)
    assert enter(first, code).status_code == 302
    sign_in(second)
    # Someone who watched the code being typed cannot reuse it.
    response = enter(second, code)
    assert "That code is not right" in response.text
    assert second.get(LIST).status_code == 302


def test_wrong_codes_in_a_row_slow_down_guessing(client, alice_app):
    device, _codes = alice_app
    sign_in(client)
    enter(client, "12345x")
    response = enter(client, "999999")
    assert response.status_code == 200
    # The pause doubles with each wrong code (1, 2, 4, 8 s...): as after five
    # in a row, so that a slow test machine is still inside it.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=5)
    # Even the right code waits until the pause after a wrong one is over.
    response = enter(client, code_for(device))
    assert "Too many wrong codes in a row. Wait until" in response.text
    assert client.get(LIST).status_code == 302


def test_a_backup_code_signs_in_once_and_says_how_many_are_left(alice_app):
    _device, codes = alice_app
    client = Client()
    sign_in(client)
    response = client.post(
        VERIFY, {"code": codes[0].upper()[:4] + " " + codes[0][4:], "next": LIST}
    )
    assert response.status_code == 302
    page = client.get(LIST)
    assert page.status_code == 200
    assert "You signed in with a backup code; 9 are left." in page.text

    again = Client()
    sign_in(again)
    assert "That code is not right" in enter(again, codes[0]).text
    assert StaticToken.objects.filter(device__user__username="alice").count() == 9


def test_unsafe_next_addresses_are_ignored(client, alice_app):
    device, _codes = alice_app
    sign_in(client)
    response = enter(client, code_for(device), next_url="https://evil.example/")
    assert response["Location"] == "/admin/"


def test_without_an_app_and_not_required_nothing_changes(client, alice, settings):
    settings.OTP_REQUIRED_FOR_STAFF = False
    sign_in(client)
    assert client.get(LIST).status_code == 200
    page = client.get("/admin/account/two-factor/")
    assert "Two-factor sign-in is off." in page.text


def setup_app(client, user, next_url: str = LIST) -> list[str]:
    """Go through the set-up page as the user would; returns the backup codes."""
    page = client.get(f"{SETUP}?next={next_url}")
    assert page.status_code == 200
    assert 'class="accounts-qr"' in page.text
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    typed_key = re.search(r'class="accounts-secret">([A-Z2-7 ]+)<', page.text)[1]
    assert typed_key.replace(" ", "") in device.config_url

    forgive(device)
    response = enter(client, code_for(device), url=SETUP, next_url=next_url)
    assert response.status_code == 302
    codes_page = client.get(response["Location"])
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", codes_page.text)
    assert len(codes) == 10
    assert "They are shown only now" in codes_page.text
    # Shown once.
    assert re.findall(r"<li><code>", client.get(response["Location"]).text) == []
    return codes


def test_when_required_staff_set_up_an_app_before_anything_else(client, settings):
    settings.OTP_REQUIRED_FOR_STAFF = True
    dora = UserFactory(username="dora", is_staff=True, is_superuser=True)
    sign_in(client, "dora")
    response = client.get(LIST)
    assert response["Location"] == f"{SETUP}?next=%2Fadmin%2Fpartners%2Fpartner%2F"
    assert client.get("/admin/reports/dashboards/")["Location"].startswith(SETUP)
    page = client.get(response["Location"])
    assert "Staff must sign in with a second factor here" in page.text

    assert "That code is not right" in enter(client, "000000", url=SETUP).text
    assert client.get(LIST).status_code == 302

    setup_app(client, dora)
    assert client.get(LIST).status_code == 200
    assert TOTPDevice.objects.filter(user=dora, confirmed=True).count() == 1

    # Next time the code is asked for.
    later = Client()
    sign_in(later, "dora")
    assert later.get(LIST)["Location"].startswith(VERIFY)
    device = TOTPDevice.objects.get(user=dora)
    assert enter(later, code_for(device, steps_ahead=1)).status_code == 302
    assert later.get(LIST).status_code == 200


def test_the_setup_page_is_no_way_around_an_existing_app(client, alice_app):
    sign_in(client)
    response = client.get(SETUP)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    response = enter(client, "123456", url=SETUP)
    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user__username="alice").count() == 1


def test_anyone_may_turn_it_on_and_off_when_not_required(client, settings):
    settings.OTP_REQUIRED_FOR_STAFF = False
    erin = UserFactory(username="erin", is_staff=True)
    sign_in(client, "erin")
    setup_app(client, erin, next_url="/admin/")
    page = client.get("/admin/account/two-factor/")
    assert "Two-factor sign-in is on." in page.text
    assert "10 left" in page.text

    device = TOTPDevice.objects.get(user=erin)
    response = client.post(
        "/admin/account/two-factor/disable/", {"code": "000000"}, follow=True
    )
    assert "two-factor sign-in is still on" in response.text
    forgive(device)
    response = client.post(
        "/admin/account/two-factor/disable/",
        {"code": code_for(device, steps_ahead=1)},
        follow=True,
    )
    assert "Two-factor sign-in is off for your account." in response.text
    assert not TOTPDevice.objects.filter(user=erin).exists()

    later = Client()
    sign_in(later, "erin")
    assert later.get("/admin/").status_code == 200


def test_when_required_it_cannot_be_turned_off(client, settings, alice_app):
    settings.OTP_REQUIRED_FOR_STAFF = True
    device, _codes = alice_app
    sign_in(client)
    enter(client, code_for(device))
    response = client.post(
        "/admin/account/two-factor/disable/",
        {"code": code_for(device, steps_ahead=1)},
        follow=True,
    )
    assert "it cannot be off" in response.text
    assert TOTPDevice.objects.filter(user__username="alice").exists()


def test_new_backup_codes_replace_the_old_ones(client, alice_app):
    device, codes = alice_app
    sign_in(client)
    enter(client, code_for(device))
    response = client.post("/admin/account/two-factor/backup-codes/", follow=True)
    new_codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.text)
    assert len(new_codes) == 10
    assert not set(new_codes) & set(codes)

    other = Client()
    sign_in(other)
    assert "That code is not right" in enter(other, codes[1]).text


def test_an_administrator_resets_a_lost_phone(admin_client, settings):
    frank = UserFactory(username="frank", is_staff=True, is_superuser=True)
    TOTPDevice.objects.create(user=frank, name="phone", confirmed=True)
    franks = Client()
    sign_in(franks, "frank")
    assert franks.get(LIST)["Location"].startswith(VERIFY)

    page = admin_client.get("/admin/auth/user/?q=frank")
    row = page.text.split("frank</a>")[1].split("</tr>")[0]
    assert 'alt="True"' in row
    response = admin_client.post(
        "/admin/auth/user/",
        {"action": "reset_two_factor", "_selected_action": [str(frank.pk)]},
        follow=True,
    )
    assert "Two-factor sign-in reset for 1 user" in response.text
    assert not TOTPDevice.objects.filter(user=frank).exists()
    history = admin_client.get(f"/admin/auth/user/{frank.pk}/history/")
    assert "two-factor sign-in" in history.text

    # Frank's waiting session now leads to setting up his new phone.
    settings.OTP_REQUIRED_FOR_STAFF = True
    response = franks.get(f"{VERIFY}?next={LIST}")
    assert response["Location"].startswith(SETUP)
    setup_app(franks, frank)
    assert franks.get(LIST).status_code == 200


def test_the_verify_step_follows_a_reset_when_not_required(client, settings, alice_app):
    settings.OTP_REQUIRED_FOR_STAFF = False
    sign_in(client)
    assert client.get(LIST)["Location"].startswith(VERIFY)
    TOTPDevice.objects.all().delete()
    response = client.get(f"{VERIFY}?next={LIST}")
    assert response["Location"] == LIST
    assert client.get(LIST).status_code == 200


def test_an_older_session_cannot_replace_an_app_linked_since(client, alice):
    sign_in(client)
    assert client.get(LIST).status_code == 200
    # Alice links her phone from another browser meanwhile.
    TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    response = client.get(SETUP)
    assert response["Location"].startswith(VERIFY)
    assert client.get(LIST)["Location"].startswith(VERIFY)


def test_the_page_asked_for_survives_the_code_step(client, alice_app):
    device, _codes = alice_app
    sign_in(client)
    wanted = "/admin/partners/partner/?category__exact=government&o=1"
    response = client.get(wanted)
    assert response["Location"].startswith(VERIFY)
    page = client.get(response["Location"])
    response = enter(client, code_for(device), next_url=page.context["next"])
    assert response["Location"] == wanted
