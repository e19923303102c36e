"""Two officers edit the same pledge in two browsers: nothing is overwritten."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from crm.roles import FINANCE, TASK_FORCE, roles_setup
from pledges.models import Pledge
from tests.e2e.conftest import OUTPUT, PASSWORD, log_in
from tests.factories import PledgeFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture
def officers():
    roles_setup()
    people = []
    for username, first, last in [
        ("amina", "Amina", "Diallo"),
        ("jonas", "Jonas", "Berg"),
    ]:
        user = UserFactory(
            username=username, first_name=first, last_name=last, password=PASSWORD
        )
        user.groups.add(Group.objects.get(name=TASK_FORCE))
        user.groups.add(Group.objects.get(name=FINANCE))
        people.append(user)
    return people


def test_the_second_officer_sees_the_first_ones_change_and_saves_both(
    live_server, browser, officers
):
    pledge = PledgeFactory(title="Giga core contribution", notes="")
    url = f"{live_server.url}/admin/pledges/pledge/{pledge.pk}/change/"
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000})]
    contexts.append(browser.new_context(viewport={"width": 1400, "height": 1000}))
    amina, jonas = (context.new_page() for context in contexts)
    try:
        for page, user in [(amina, "amina"), (jonas, "jonas")]:
            page.set_default_timeout(15_000)
            log_in(page, live_server, user)
            page.goto(url)

        amina.fill("#id_title", "Giga core contribution 2026")
        amina.click("input[name=_continue]")
        amina.wait_for_selector(".messagelist .success")

        jonas.fill("#id_notes", "Agreement expected in May.")
        jonas.click("input[name=_continue]")
        errors = jonas.locator(".errorlist.nonfield")
        errors.first.wait_for()
        text = errors.first.inner_text()
        assert "changed by someone else" in text
        assert "Amina Diallo" in text
        assert "Giga core contribution 2026" in text
        # His note is still there, her title is filled in.
        assert jonas.input_value("#id_notes") == "Agreement expected in May."
        assert jonas.input_value("#id_title") == "Giga core contribution 2026"
        OUTPUT.mkdir(parents=True, exist_ok=True)
        jonas.screenshot(path=str(OUTPUT / "concurrency-conflict.png"), full_page=True)
        pledge.refresh_from_db()
        assert pledge.notes == ""

        jonas.click("input[name=_continue]")
        jonas.wait_for_selector(".messagelist .success")
    finally:
        for context in contexts:
            context.close()

    pledge = Pledge.objects.get(pk=pledge.pk)
    assert pledge.title == "Giga core contribution 2026"
    assert pledge.notes == "Agreement expected in May."
