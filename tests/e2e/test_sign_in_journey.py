"""Two-factor sign-in in a real browser: required for staff, set up, used."""

from __future__ import annotations

import base64
import time

import pytest
from django.contrib.auth.models import Group
from django_otp.oath import TOTP

from crm.roles import TASK_FORCE, roles_setup
from tests.e2e.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def app_code(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for the key typed from the page."""
    totp = TOTP(base64.b32decode(secret.replace(" ", "")))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def test_an_officer_sets_up_two_factor_sign_in_then_signs_in_with_it(
    live_server, page, screenshot, settings
):
    settings.OTP_REQUIRED_FOR_STAFF = True
    roles_setup()
    officer = UserFactory(username="amina", first_name="Amina", password=PASSWORD)
    officer.groups.add(Group.objects.get(name=TASK_FORCE))
    errors: list[str] = []
    # Every script, style and image the pages use loads (CSP allows them).
    page.on(
        "response",
        lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"),
    )
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))

    sign_in(page, live_server, "amina")
    page.wait_for_selector("text=Set up two-factor sign-in")
    qr = page.locator("img.accounts-qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 100")
    secret = page.inner_text(".accounts-secret")
    screenshot("two-factor-setup")

    page.fill("#id_code", app_code(secret))
    page.click("#setup-form input[type=submit]")
    page.wait_for_selector(".accounts-codes")
    codes = page.locator(".accounts-codes code").all_inner_texts()
    assert len(codes) == 10
    screenshot("two-factor-backup-codes")
    page.click("text=I have saved them")
    page.wait_for_selector("#content-main")
    assert "Partner CRM" in page.title()

    page.click("#logout-form button")
    sign_in(page, live_server, "amina")
    page.wait_for_selector("#verify-form")
    screenshot("two-factor-verify")
    page.fill("#id_code", app_code(secret, steps_ahead=1))
    page.click("#verify-form input[type=submit]")
    page.wait_for_selector("text=Start page")
    assert errors == [], errors
