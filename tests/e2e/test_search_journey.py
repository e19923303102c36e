"""From the start page, find a Member State by typing in the search box, log an
engagement from its overview and land back on it."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from django.contrib.auth.models import Group

from crm.roles import TASK_FORCE, roles_setup
from partners.models import Engagement
from tests.e2e.conftest import PASSWORD, log_in
from tests.factories import (
    CountryAliasFactory,
    CountryFactory,
    GovernmentFactory,
    PartnerFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture
def officer():
    roles_setup()
    user = UserFactory(username="amina", password=PASSWORD)
    user.groups.add(Group.objects.get(name=TASK_FORCE))
    return user


@pytest.fixture
def korea():
    country = CountryFactory(
        name_en="Republic of Korea",
        itu_name="Korea (Rep. of)",
        iso3="KOR",
        is_itu_member_state=True,
    )
    CountryAliasFactory(country=country, name="South Korea")
    # A company named with the words, to be listed after the Member State.
    PartnerFactory(name="South Korea Trading Company", country=country)
    return GovernmentFactory(name="Republic of Korea", country=country, code="GOV-KOR")


def test_an_officer_types_south_korea_and_opens_the_member_state(
    live_server, page, screenshot, officer, korea
):
    log_in(page, live_server, "amina")
    box = page.locator("#crm-start-search")
    box.click()
    box.press_sequentially("south korea", delay=20)

    first = page.locator("#crm-start-search-list [role=option]").first
    first.wait_for()
    assert first.inner_text().startswith("Republic of Korea")
    assert box.get_attribute("aria-expanded") == "true"
    screenshot("search-suggestions")

    box.press("ArrowDown")
    assert first.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    box.press("Enter")

    page.wait_for_url(f"**/admin/partners/partner/{korea.pk}/overview/")
    assert "Republic of Korea" in page.locator("#content").inner_text()
    screenshot("search-member-state")

    # Log an engagement from the overview and land back on it.
    page.click("#crm-log-engagement")
    page.fill("#id_subject", "Follow-up call on the Giga pledge")
    page.click("input[name=_save]")
    page.wait_for_selector("#crm-engagements")
    assert urlparse(page.url).path == f"/admin/partners/partner/{korea.pk}/overview/"
    assert "Follow-up call on the Giga pledge" in page.inner_text("#crm-engagements")
    assert list(
        Engagement.objects.get(
            subject="Follow-up call on the Giga pledge"
        ).partners.values_list("pk", flat=True)
    ) == [korea.pk]


def test_enter_without_a_choice_opens_the_results_page(
    live_server, page, officer, korea
):
    log_in(page, live_server, "amina")
    page.fill("#crm-start-search", "korea")
    page.press("#crm-start-search", "Enter")

    page.wait_for_url("**/admin/search/?q=korea")
    links = page.locator("#crm-search-partners a")
    assert links.first.inner_text() == "Republic of Korea"
