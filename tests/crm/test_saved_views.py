"""Saved views: save a filtered list or report, find it on the start page."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils.http import urlencode

from crm.models import SavedView
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PARTNERS = "/admin/partners/partner/"


def save(client, name, path, query=""):
    return client.post(
        reverse("admin:crm_savedview_add"),
        {"name": name, "path": path, "query": query},
    )


def test_a_list_offers_to_save_itself_with_its_filters(admin_client):
    response = admin_client.get(PARTNERS + "?category=government&p=2")

    expected = (
        reverse("admin:crm_savedview_add")
        + "?"
        + urlencode({"path": PARTNERS, "query": "category=government"})
    )
    assert f'href="{expected}"'.replace("&", "&amp;") in response.content.decode()


def test_a_report_page_offers_to_save_itself(admin_client):
    response = admin_client.get(reverse("reports_dashboard", args=["pipeline"]))

    assert "Save this view" in response.content.decode()


def test_the_add_form_is_filled_in_from_the_link(admin_client):
    params = {"path": PARTNERS, "query": "category=government"}
    response = admin_client.get(
        reverse("admin:crm_savedview_add") + "?" + urlencode(params)
    )

    form = response.context["adminform"].form
    assert form.initial["path"] == PARTNERS
    assert form.initial["query"] == "category=government"


def test_a_saved_view_opens_its_page_and_shows_on_the_start_page(
    admin_client, superuser
):
    response = save(admin_client, "Governments", PARTNERS, "category=government")

    assert response.status_code == 302
    assert response["Location"] == PARTNERS + "?category=government"
    view = SavedView.objects.get()
    assert view.user == superuser
    start = admin_client.get(reverse("admin:index")).content.decode()
    assert "My saved views" in start
    assert f'href="{PARTNERS}?category=government">Governments</a>' in start


def test_saved_views_are_private_to_their_owner(admin_client, superuser):
    save(admin_client, "Governments", PARTNERS, "category=government")
    view = SavedView.objects.get()
    client = Client()
    client.force_login(UserFactory(is_staff=True, username="other"))

    start = client.get(reverse("admin:index")).content.decode()
    listing = client.get(reverse("admin:crm_savedview_changelist"))

    assert "Governments" not in start
    assert "Governments" not in listing.content.decode()
    change = reverse("admin:crm_savedview_change", args=[view.pk])
    delete = reverse("admin:crm_savedview_delete", args=[view.pk])
    assert client.get(change).status_code == 404
    assert client.post(delete, {"post": "yes"}).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_the_owner_renames_and_deletes_a_view(admin_client):
    save(admin_client, "Governments", PARTNERS, "category=government")
    view = SavedView.objects.get()
    change = reverse("admin:crm_savedview_change", args=[view.pk])

    admin_client.post(
        change, {"name": "Member States", "path": view.path, "query": view.query}
    )
    assert SavedView.objects.get().name == "Member States"
    admin_client.post(
        reverse("admin:crm_savedview_delete", args=[view.pk]), {"post": "yes"}
    )
    assert not SavedView.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "https://evil.example/admin/partners/partner/",
        "//evil.example/admin/",
        "/admin/partners/partner/?next=//evil.example",
        "/admin/logout/",
        "/admin/partners/partner/1/change/",
        "/nowhere/",
        "admin/partners/partner/",
    ],
)
def test_a_path_that_is_not_a_list_or_report_is_refused(admin_client, path):
    response = save(admin_client, "Trap", path)

    assert response.status_code == 200
    assert "is not a list or report page of this site" in response.content.decode()
    assert not SavedView.objects.exists()


def test_reports_and_the_statement_may_be_saved(superuser):
    for path in ("/admin/reports/dashboards/pipeline/", reverse("reports_statement")):
        view = SavedView(user=superuser, name=path, path=path, query="?year=2025")
        view.full_clean()
        assert view.query == "year=2025"


def test_the_same_name_twice_is_refused_for_one_user(admin_client):
    save(admin_client, "Governments", PARTNERS)
    response = save(admin_client, "Governments", PARTNERS, "q=x")

    assert "already have a saved view of that name" in response.content.decode()
    assert SavedView.objects.count() == 1


def test_a_query_with_a_line_break_is_refused(superuser):
    view = SavedView(user=superuser, name="x", path=PARTNERS, query="a=1\r\nb=2")

    with pytest.raises(ValidationError, match="not a query string"):
        view.full_clean()
