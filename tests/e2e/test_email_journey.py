"""A real browser records an e-mail on a partner page: chosen, then dropped."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth.models import Group

from crm.roles import TASK_FORCE, roles_setup
from partners.models import Engagement
from tests.documents.mail_files import make_eml, make_msg
from tests.e2e.conftest import PASSWORD, log_in
from tests.factories import (
    AffiliationFactory,
    ContactFactory,
    PartnerFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

DROP = """([data, name]) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name));
  const form = document.querySelector("[data-email-drop]");
  form.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
}"""


def test_an_officer_records_an_email_on_a_partner_page(live_server, page, screenshot):
    roles_setup()
    officer = UserFactory(username="amina", password=PASSWORD, email="desk@itu.example")
    officer.groups.add(Group.objects.get(name=TASK_FORCE))
    partner = PartnerFactory(name="Permanent Mission of Portugal")
    AffiliationFactory(
        partner=partner,
        contact=ContactFactory(
            first_name="Ana", last_name="Silva", email="ana.silva@mission.example"
        ),
    )
    log_in(page, live_server, "amina")
    partner_url = f"{live_server.url}/admin/partners/partner/{partner.pk}/change/"

    page.goto(partner_url)
    page.set_input_files(
        "#crm-record-email input[type=file]",
        files=[
            {
                "name": "agreement.eml",
                "mimeType": "message/rfc822",
                "buffer": make_eml(cc="New Person <new@elsewhere.example>"),
            }
        ],
    )
    page.click("#crm-record-email input[type=submit]")
    page.wait_for_selector(".messagelist .success")

    assert "Contribution agreement 2026" in page.content()
    assert "add contact" in page.inner_text(".messagelist")
    assert page.input_value("#id_kind") == Engagement.Kind.EMAIL
    assert "Agreement.pdf" in page.inner_text("body")
    screenshot("email-recorded")

    page.goto(partner_url)
    page.evaluate(DROP, [base64.b64encode(make_msg()).decode(), "note.msg"])
    page.wait_for_selector(".messagelist .success")
    assert "Note verbale on the 2026 contribution" in page.content()
    assert Engagement.objects.filter(kind=Engagement.Kind.EMAIL).count() == 2
    screenshot("email-dropped")
