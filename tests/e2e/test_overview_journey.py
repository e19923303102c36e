"""A partner opens on its overview; an engagement logged from it lands back there."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from django.contrib.auth.models import Group

from crm.roles import TASK_FORCE, roles_setup
from partners.models import Affiliation, Engagement
from tests.e2e.conftest import PASSWORD, choose, log_in
from tests.factories import (
    AffiliationFactory,
    ContactFactory,
    CountryFactory,
    GovernmentFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_open_a_partner_log_an_engagement_and_land_back_on_its_overview(
    live_server, page, screenshot
):
    roles_setup()
    officer = UserFactory(username="amina", password=PASSWORD)
    officer.groups.add(Group.objects.get(name=TASK_FORCE))
    state = GovernmentFactory(
        name="Freedonia", country=CountryFactory(name_en="Freedonia", iso3="XFD")
    )
    AffiliationFactory(
        partner=state,
        role=Affiliation.Role.AMBASSADOR,
        position="Ambassador",
        contact=ContactFactory(title="H.E.", first_name="Rufus", last_name="Firefly"),
    )

    log_in(page, live_server, "amina")
    page.goto(f"{live_server.url}/admin/partners/partner/?q=Freedonia")
    page.click("#result_list a:has-text('Freedonia')")
    page.wait_for_selector("#crm-overview-contacts")
    overview = f"/admin/partners/partner/{state.pk}/overview/"
    assert urlparse(page.url).path == overview
    assert "Rufus Firefly" in page.inner_text("#crm-overview-contacts")

    page.click("#crm-log-engagement")
    page.fill("#id_subject", "Renewal of the Giga contribution")
    choose(page, "contacts", "Rufus Firefly")
    label = page.inner_text("#id_contacts + .select2")
    assert "Ambassador, Freedonia" in label
    page.click("input[name=_save]")

    page.wait_for_selector("#crm-engagements")
    assert urlparse(page.url).path == overview
    assert "Renewal of the Giga contribution" in page.inner_text("#crm-engagements")
    assert page.locator(".messagelist .success").count() == 1
    screenshot("partner-overview-after-logging")
    engagement = Engagement.objects.get(subject="Renewal of the Giga contribution")
    assert [c.last_name for c in engagement.contacts.all()] == ["Firefly"]
