"""An officer makes an API token, the ERP pushes a payment with it, the docs load."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request

import pytest
from django.contrib.auth.models import Group

from crm.roles import FINANCE, roles_setup
from pledges.models import Payment
from tests.e2e.conftest import PASSWORD, log_in
from tests.factories import PledgeFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def put(url: str, key: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_finance_makes_a_token_pushes_a_payment_and_reads_the_docs(
    live_server, page, screenshot
):
    roles_setup()
    officer = UserFactory(username="li", first_name="Li", password=PASSWORD)
    officer.groups.add(Group.objects.get(name=FINANCE))
    pledge = PledgeFactory(external_source="erp", external_id="PL-7")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    log_in(page, live_server, "li")
    page.click("text=API tokens")
    page.fill("#id_name", "ERP payments sync")
    page.select_option("#id_scope", "read_write")
    expires = dt.date.today() + dt.timedelta(days=30)  # noqa: DTZ011
    page.fill("#id_expires_on", expires.isoformat())
    page.click("input[type=submit][value='Create token']")
    key = page.inner_text("#new-key code").strip()
    assert key.startswith("crm_")
    screenshot("api-token-created")

    url = f"{live_server.url}/api/v1/payments/by-ref/erp/PAY-1/"
    body = {
        "pledge_ref": {"external_source": "erp", "external_id": "PL-7"},
        "received_on": "2025-06-30",
        "amount": "400.00",
    }
    assert put(url, key, body)[1]["outcome"] == "new"
    assert put(url, key, body)[1]["outcome"] == "unchanged"
    payment = Payment.objects.get(external_id="PAY-1")
    assert payment.pledge == pledge
    assert payment.history.get().history_change_reason == (
        "via API token ERP payments sync"
    )

    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector("text=/api/v1/payments/by-ref/{source}/{external_id}/")
    screenshot("api-docs")

    page.goto(f"{live_server.url}/admin/account/api-tokens/")
    page.click("input[type=submit][value='Revoke']")
    page.wait_for_selector("text=revoked")
    status, problem = put(url, key, body)
    assert status == 401
    assert "revoked" in problem["detail"]
    assert errors == []
