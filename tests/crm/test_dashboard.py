"""The admin index: a start page for a task-force member."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.admin_site import CRMAdminSite
from partners.models import Partner
from tests.factories import (
    ContactFactory,
    CountryFactory,
    EngagementFactory,
    FollowUpFactory,
    GovernmentFactory,
    PartnerFactory,
)

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def section(html: str, panel_id: str) -> str:
    start = html.index(f'id="{panel_id}"')
    return html[start : html.index("</div>", start)]


@pytest.fixture
def day_in_the_life(superuser):
    """A task-force member's world: their to-dos, a colleague's, quiet partners."""
    home = CountryFactory(iso3="ZZZ", iso2="ZZ", m49=899)
    gov = GovernmentFactory(name="Government of Testland", country=home)
    bank = PartnerFactory(name="Regional Bank", priority=Partner.Priority.HIGH)
    PartnerFactory(name="Sleepy Foundation", priority=Partner.Priority.LOW)
    PartnerFactory(name="Retired Ltd", is_active=False)
    EngagementFactory(partners=[bank], subject="Old lunch", date=days(-400))
    EngagementFactory(partners=[gov], subject="Mission visit", date=days(-3))
    EngagementFactory(
        partners=[gov], subject="Secret talk", date=days(-1), confidential=True
    )
    FollowUpFactory(
        partner=gov, assignee=superuser, description="Send the note", due_date=days(-2)
    )
    FollowUpFactory(
        partner=gov, assignee=superuser, description="Book the room", due_date=days(5)
    )
    FollowUpFactory(
        partner=gov, assignee=superuser, description="Far off", due_date=days(40)
    )
    FollowUpFactory(partner=bank, description="Colleague's task", due_date=days(-2))
    ContactFactory()
    return gov, bank


def test_start_page_shows_my_followups_recent_engagements_and_quiet_partners(
    admin_client, day_in_the_life
):
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    html = response.content.decode()
    mine = section(html, "crm-my-followups")
    assert "Send the note" in mine
    assert "Book the room" in mine
    assert "Far off" not in mine
    assert "Colleague" not in mine
    assert mine.index("Send the note") < mine.index("Book the room")
    recent = section(html, "crm-recent-engagements")
    assert recent.index("Secret talk") < recent.index("Mission visit")
    quiet = section(html, "crm-quiet-partners")
    assert quiet.index("Regional Bank") < quiet.index("Sleepy Foundation")
    assert "Government of Testland" not in quiet
    assert "Retired Ltd" not in quiet
    assert "app-list" in html  # the usual list of apps is still there
    assert "crm/admin.css" in html


def test_start_page_counts(admin_client, day_in_the_life):
    html = admin_client.get(reverse("admin:index")).content.decode()

    counts = re.findall(
        r'crm-count-n">(\d+)</span><span class="crm-count-label">([^<]+)<',
        section(html, "crm-counts"),
    )
    assert {label: int(n) for n, label in counts} == {
        "Active partners": 3,
        "Member States": 1,
        "Contacts": 1,
        "Engagements this year": sum(
            d.year == days(0).year for d in (days(-3), days(-1))
        ),
        "Open follow-ups": 4,
    }


def test_start_page_hides_confidential_engagements_from_staff(
    staff_user, day_in_the_life
):
    client = Client()
    client.force_login(staff_user)

    html = client.get(reverse("admin:index")).content.decode()

    assert "Mission visit" in html
    assert "Secret talk" not in html


def test_start_page_makes_a_bounded_number_of_queries(
    admin_client, superuser, django_assert_max_num_queries
):
    def add_rows(n):
        for i in range(n):
            partner = PartnerFactory()
            EngagementFactory(partners=[partner], date=days(-i))
            EngagementFactory(partners=[partner], date=days(-300 - i))
            FollowUpFactory(partner=partner, assignee=superuser, due_date=days(-1))
            FollowUpFactory(partner=partner, assignee=superuser, due_date=days(3))

    add_rows(3)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(reverse("admin:index"))
    add_rows(20)
    with django_assert_max_num_queries(len(few)):
        response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert len(few) <= 25


def test_start_page_without_data_says_so(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "Nothing overdue." in html
    assert "No engagements logged yet." in html


def test_start_page_panels_are_registered_once_and_in_order(rf, superuser):
    site = CRMAdminSite(name="test")
    calls = []

    def late(request):
        calls.append("late")
        return [("b.html", {})]

    def early(request):
        calls.append("early")
        return [("a.html", {})]

    site.register_start_page_panels(late, order=50)
    site.register_start_page_panels(early, order=10)
    site.register_start_page_panels(early, order=10)
    request = rf.get("/")
    request.user = superuser

    assert site.get_start_page_panels(request) == [("a.html", {}), ("b.html", {})]
    assert calls == ["early", "late"]
