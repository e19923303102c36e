"""One test per surface: confidential engagements and their follow-ups stay
hidden from staff without ``partners.view_confidential_engagement``.

Briefs and meeting packs are covered in ``tests/reports/test_services.py``
(``test_it_hides_confidential_engagements_from_users_without_the_permission``).
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Permission
from django.forms import BooleanField
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import (
    ContactFactory,
    EngagementFactory,
    FollowUpFactory,
    PartnerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SECRET = "Zanzibar accord"
SECRET_TASK = "Quietly draft the Zanzibar letter"


@pytest.fixture
def world(db):
    today = timezone.localdate()
    partner = PartnerFactory(name="Donor")
    contact = ContactFactory()
    secret = EngagementFactory(
        partners=[partner],
        contacts=[contact],
        subject=SECRET,
        confidential=True,
        date=today - dt.timedelta(days=1),
    )
    open_ = EngagementFactory(
        partners=[partner],
        contacts=[contact],
        subject="Open briefing",
        date=today - dt.timedelta(days=2),
    )
    followup = FollowUpFactory(
        partner=partner,
        engagement=secret,
        description=SECRET_TASK,
        due_date=today - dt.timedelta(days=1),
    )
    return {
        "partner": partner,
        "contact": contact,
        "secret": secret,
        "open": open_,
        "followup": followup,
    }


def _user(*, confidential: bool):
    user = UserFactory(is_staff=True)
    perms = Permission.objects.filter(
        content_type__app_label__in=["partners", "crm", "pledges", "reports"]
    ).exclude(codename="view_confidential_engagement")
    if confidential:
        perms = perms | Permission.objects.filter(
            codename="view_confidential_engagement"
        )
    user.user_permissions.set(perms)
    return user


@pytest.fixture
def plain(client, world):
    client.force_login(_user(confidential=False))
    return client


@pytest.fixture
def trusted(client, world):
    client.force_login(_user(confidential=True))
    return client


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode("utf-8", "replace")


def test_the_engagement_list_hides_them(plain):
    url = reverse("admin:partners_engagement_changelist")
    assert SECRET not in _text(plain.get(url))
    assert "Open briefing" in _text(plain.get(url))


def test_the_engagement_list_shows_them_to_the_trusted(trusted):
    url = reverse("admin:partners_engagement_changelist")
    assert SECRET in _text(trusted.get(url))


def test_search_results_hide_them(plain):
    for model in ("engagement", "followup", "partner", "contact"):
        url = reverse(f"admin:partners_{model}_changelist")
        html = _text(plain.get(url, {"q": "Zanzibar"}))
        assert SECRET not in html
        assert SECRET_TASK not in html


def test_the_followup_list_hides_their_followups(plain):
    url = reverse("admin:partners_followup_changelist")
    assert SECRET_TASK not in _text(plain.get(url, {"assignee": "all"}))


def test_autocomplete_hides_them(plain):
    response = plain.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "partners",
            "model_name": "followup",
            "field_name": "engagement",
            "term": "Zanzibar",
        },
    )
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_the_partner_timeline_hides_them(plain, world):
    url = reverse("admin:partners_partner_change", args=[world["partner"].pk])
    html = _text(plain.get(url))
    assert SECRET not in html
    assert SECRET_TASK not in html
    assert "Open briefing" in html


def test_the_contact_timeline_hides_them(plain, world):
    url = reverse("admin:partners_contact_change", args=[world["contact"].pk])
    html = _text(plain.get(url))
    assert SECRET not in html
    assert "Open briefing" in html


def test_the_start_page_counts_and_panels_hide_them(plain):
    html = _text(plain.get(reverse("admin:index")))
    assert SECRET not in html
    assert SECRET_TASK not in html


def test_the_start_page_shows_them_to_the_trusted(trusted):
    html = _text(trusted.get(reverse("admin:index")))
    assert SECRET in html or SECRET_TASK in html


@pytest.mark.parametrize("slug", ["activity", "followups"])
def test_report_pages_and_downloads_hide_them(plain, slug):
    assert SECRET not in _text(plain.get(reverse("reports_dashboard", args=[slug])))
    csv = plain.get(reverse("reports_download", args=[slug, "csv"]))
    assert csv.status_code == 200
    assert SECRET.encode() not in csv.content
    assert SECRET_TASK.encode() not in csv.content
    xlsx = plain.get(reverse("reports_download", args=[slug, "xlsx"]))
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    cells = " ".join(
        str(c)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for c in row
    )
    assert SECRET not in cells
    assert SECRET_TASK not in cells


def test_the_activity_report_counts_them_only_for_the_trusted(plain, world):
    url = reverse("reports_dashboard", args=["activity"])
    total = plain.get(url).context["report"].table("months").total.engagements
    assert total == 1


def _export(client, **extra):
    url = reverse("admin:partners_engagement_export")
    form = client.get(url).context["form"]
    data = {"format": "0", "resource": "0", **extra}
    data |= {
        name: "on"
        for name, field in form.fields.items()
        if isinstance(field, BooleanField)
    }
    return client.post(url, data)


def test_the_engagement_export_hides_them(plain):
    response = _export(plain)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Open briefing" in body
    assert SECRET not in body


def test_the_engagement_export_refuses_them_picked_by_id(plain, world):
    response = _export(plain, export_items=[world["secret"].pk])
    assert SECRET not in response.content.decode()


def test_the_export_action_gives_exactly_the_rows_ticked(plain, world):
    other = EngagementFactory(partners=[world["partner"]], subject="Other call")
    response = _export(plain, export_items=[other.pk])
    body = response.content.decode()
    assert "Other call" in body
    assert "Open briefing" not in body
    assert SECRET not in body


def test_the_engagement_export_includes_them_for_the_trusted(trusted):
    response = _export(trusted)
    assert SECRET in response.content.decode()


@pytest.mark.parametrize("page", ["change", "history", "delete"])
def test_their_pages_typed_directly_are_not_found(plain, world, page):
    url = reverse(f"admin:partners_engagement_{page}", args=[world["secret"].pk])
    assert plain.get(url).status_code == 404


@pytest.mark.parametrize("page", ["change", "history", "delete"])
def test_their_followups_pages_typed_directly_are_not_found(plain, world, page):
    url = reverse(f"admin:partners_followup_{page}", args=[world["followup"].pk])
    assert plain.get(url).status_code == 404


def test_their_pages_open_for_the_trusted(trusted, world):
    for page in ("change", "history"):
        url = reverse(f"admin:partners_engagement_{page}", args=[world["secret"].pk])
        assert trusted.get(url).status_code == 200
