"""Odd values in the address of a list or report are ignored or refused (400).

Every admin list is asked for with each of its filters, its search, page and
ordering set to values nobody picks from the page: a number beyond any column,
a NUL byte, an impossible or out-of-range date, a digit that is not 0-9. The
answer is the page (the value ignored, or Django's "?e=1" redirect) or 400,
never a server error, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from reports.views import REPORTS
from tests.crm.test_permission_matrix import records
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"
ODD_VALUES = [
    HUGE,
    "9999999999",  # within a column, beyond a Python date's year
    "-" + HUGE,
    "12\x00",
    "99999-12-31",
    "2025-02-30",
    "²",  # a digit to str.isdigit(), not to int()
    "1e309",
]
ODD_PAGES = [HUGE, "-1", "0", "²", "1\x00"]
ODD_ORDERS = [HUGE, "-" + HUGE, "1.²", "x\x00"]
FINE = (200, 302, 400, 404)


@pytest.fixture
def world(superuser):
    records(superuser)


def admin_lists():
    for model in apps.get_models():
        if admin.site.is_registered(model):
            opts = model._meta
            yield reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


def list_parameters(client, address: str) -> list[str]:
    """The query parameters a list page's own filters and links use."""
    page = client.get(address)
    assert page.status_code == 200, address
    changelist = page.context["cl"]
    names = {"q"}
    for spec in changelist.filter_specs:
        names.update(spec.expected_parameters())
    if changelist.date_hierarchy:
        field = changelist.date_hierarchy
        names.update(f"{field}__{part}" for part in ("year", "month", "day"))
    return sorted(names)


def crawl(client, address: str, params: list[str]) -> dict:
    """Each odd value in every parameter at once, then in each alone."""
    asks = [{name: value for name in params} for value in ODD_VALUES]
    asks += [{name: HUGE} for name in params]
    asks += [{"p": value} for value in ODD_PAGES]
    asks += [{"o": value} for value in ODD_ORDERS]
    failures = {}
    for query in asks:
        response = client.get(address, query)
        if response.status_code not in FINE:
            shown = "&".join(f"{k}={v!r}" for k, v in query.items())
            failures[f"{address}?{shown}"] = response.status_code
    return failures


def test_admin_lists_ignore_or_refuse_odd_query_values(admin_client, world):
    admin_client.raise_request_exception = False
    failures = {}
    for address in admin_lists():
        failures |= crawl(admin_client, address, list_parameters(admin_client, address))
    assert failures == {}, "\n".join(failures)


def test_report_pages_and_downloads_ignore_or_refuse_odd_query_values(
    admin_client, world
):
    admin_client.raise_request_exception = False
    failures = {}
    for spec in REPORTS:
        params = [*sorted(spec.filterset.base_filters), "table"]
        failures |= crawl(admin_client, spec.url(), params)
        download = reverse("reports_download", args=[spec.slug, "csv"])
        failures |= crawl(admin_client, download, params)
    assert failures == {}, "\n".join(failures)


def test_a_nul_byte_in_the_address_is_a_bad_request(admin_client, world):
    address = reverse("admin:partners_partner_changelist")
    assert admin_client.get(address, {"q": "acme\x00"}).status_code == 400


def test_a_number_beyond_any_column_selects_nothing(client, world):
    user = UserFactory(is_staff=True, is_superuser=True, username="lead")
    client.force_login(user)
    address = reverse("admin:partners_followup_changelist")
    response = client.get(address, {"assignee": HUGE})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.context["cl"].result_count == 0
