"""The three journeys of the task force, in a real browser."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from pypdf import PdfReader

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


@pytest.fixture
def officer():
    roles_setup()
    user = UserFactory(
        username="amina", first_name="Amina", last_name="Diallo", password=PASSWORD
    )
    user.groups.add(Group.objects.get(name=TASK_FORCE))
    return user


@pytest.fixture
def freedonia():
    state = GovernmentFactory(
        name="Freedonia", country=CountryFactory(name_en="Freedonia", iso3="XFD")
    )
    for first, last, role in [
        ("Rufus", "Firefly", Affiliation.Role.AMBASSADOR),
        ("Gloria", "Teasdale", Affiliation.Role.COUNSELLOR),
    ]:
        AffiliationFactory(
            partner=state,
            role=role,
            contact=ContactFactory(first_name=first, last_name=last),
        )
    return state


def test_an_officer_logs_an_engagement_with_two_contacts_and_a_follow_up(
    live_server, page, screenshot, officer, freedonia
):
    log_in(page, live_server, "amina")
    page.goto(f"{live_server.url}/admin/partners/partner/?q=Freedonia")
    page.click("#result_list a:has-text('Freedonia')")
    page.click("a:has-text('Log engagement')")

    page.fill("#id_subject", "Voluntary contribution for Giga")
    choose(page, "contacts", "Rufus Firefly")
    choose(page, "contacts", "Gloria Teasdale")
    page.fill("#id_outcome", "The mission will seek a pledge from the capital.")
    page.fill("#id_followups-0-description", "Send the Giga concept note")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    engagement = Engagement.objects.get(subject="Voluntary contribution for Giga")
    assert list(engagement.partners.all()) == [freedonia]
    assert engagement.contacts.count() == 2
    assert engagement.created_by == officer
    followup = engagement.followups.get()
    assert followup.assignee == officer
    assert followup.due_date == timezone.localdate() + dt.timedelta(days=14)

    page.goto(f"{live_server.url}/admin/partners/partner/{freedonia.pk}/change/")
    timeline = page.locator("text=Voluntary contribution for Giga").first
    assert timeline.is_visible()

    page.goto(f"{live_server.url}/admin/")
    assert (
        page.locator("#crm-my-followups")
        .get_by_text("Send the Giga concept note")
        .is_visible()
    )
    screenshot("1-engagement-logged")


def test_an_officer_prints_the_pack_of_a_meeting_with_two_partners(
    live_server, page, screenshot, officer, freedonia
):
    sylvania = GovernmentFactory(
        name="Sylvania", country=CountryFactory(name_en="Sylvania", iso3="XSY")
    )
    log_in(page, live_server, "amina")
    page.goto(f"{live_server.url}/admin/reports/meeting/add/")
    page.fill("#id_title", "Bilateral with Freedonia and Sylvania")
    page.fill(
        "#id_starts_at_0", (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    )
    page.fill("#id_starts_at_1", "10:00")
    # The partners covered are rows of their own, each with the ask.
    choose(page, "meetingpartner_set-0-partner", "Freedonia")
    page.click("#meetingpartner_set-group .add-row a")
    choose(page, "meetingpartner_set-1-partner", "Sylvania")
    page.fill("#id_meetingpartner_set-1-ask", "Ask Sylvania to co-host the forum.")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")

    with page.expect_download() as download_info:
        page.click("a:has-text('Download pack')")
    pdf = download_info.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Freedonia" in text
    assert sylvania.name in text
    assert "Ask Sylvania to co-host the forum." in " ".join(text.split())
    screenshot("3-meeting-pack")
