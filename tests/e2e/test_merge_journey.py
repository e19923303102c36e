"""Find a duplicate partner, merge it, undo the merge, in a real browser."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from crm.roles import TASK_FORCE, roles_setup
from partners.models import MergeLog, Partner
from tests.e2e.conftest import PASSWORD, log_in
from tests.factories import (
    CountryFactory,
    EngagementFactory,
    PartnerFactory,
    PledgeFactory,
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
def northwind_twice():
    country = CountryFactory()
    first = PartnerFactory(name="Northwind Telecom SA", country=country)
    second = PartnerFactory(name="Northwind Telecom S.A.", country=country)
    EngagementFactory(partners=[first], subject="Geneva lunch")
    EngagementFactory(partners=[second], subject="Bangkok side event")
    PledgeFactory(partner=first, title="Giga 2025")
    PledgeFactory(partner=second, title="Connect2Recover")
    return first, second


def northwind_rows(page, live_server) -> int:
    page.goto(f"{live_server.url}/admin/partners/partner/?q=Northwind")
    return page.locator("#result_list tbody tr").count()


def test_an_officer_merges_a_duplicate_and_undoes_the_merge(
    live_server, page, screenshot, officer, northwind_twice
):
    _first, second = northwind_twice
    log_in(page, live_server, "amina")
    assert northwind_rows(page, live_server) == 2

    page.click("a:has-text('Possible duplicates')")
    row = page.locator("tr.duplicate-pair").first
    assert "same normalised name" in row.inner_text()
    row.locator("a.merge-link").click()
    page.wait_for_selector("#merge-form")
    page.check(f"input[name=field_name][value='{second.pk}']")
    screenshot("merge-page")
    page.click("input[name=merge]")
    page.wait_for_selector(".messagelist .success")

    content = page.content()
    assert "Geneva lunch" in content
    assert "Bangkok side event" in content
    assert Partner.objects.get().name == "Northwind Telecom S.A."
    assert Partner.objects.get().pledges.count() == 2
    screenshot("merged-partner")
    assert northwind_rows(page, live_server) == 1

    log = MergeLog.objects.get()
    page.goto(f"{live_server.url}/admin/partners/mergelog/{log.pk}/change/")
    page.click("#undo-form input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    screenshot("merge-undone")

    assert northwind_rows(page, live_server) == 2
    assert set(Partner.objects.values_list("name", flat=True)) == {
        "Northwind Telecom SA",
        "Northwind Telecom S.A.",
    }
