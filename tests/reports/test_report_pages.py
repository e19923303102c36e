"""The report pages in the admin: links, permissions, and bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from crm.imports.engine import ImportOptions
from crm.imports.services import batch_create, batch_run
from pledges.models import Pledge
from reports.filters import ContributionsFilter
from tests.factories import LeverFactory, PartnerFactory, PledgeFactory, UserFactory
from tests.reports.report_world import build_world, grow_world, report_user

pytestmark = pytest.mark.django_db

SLUGS = [
    "mobilization",
    "pipeline",
    "contributions",
    "activity",
    "followups",
    "membership",
]
# Session, user, the filter form's choices, then the report's own queries.
MAX_QUERIES = 16


@pytest.fixture
def world(db):
    return build_world()


def url(slug: str, **params) -> str:
    base = reverse("reports_dashboard", args=[slug])
    return base + (
        "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
    )


def test_the_start_page_and_the_reports_index_link_every_report(admin_client):
    start = admin_client.get(reverse("admin:index"))
    index = admin_client.get(reverse("reports_index"))

    assert index.status_code == 200
    for slug in SLUGS:
        link = reverse("reports_dashboard", args=[slug])
        assert link in start.text
        assert link in index.text


@pytest.mark.parametrize("slug", SLUGS)
def test_each_report_renders_inside_the_admin(admin_client, world, slug):
    response = admin_client.get(url(slug, year=2025))

    assert response.status_code == 200
    assert response.context["site_header"] == "Partner CRM"  # admin chrome
    assert reverse("reports_index") in response.text  # breadcrumbs
    assert "<svg" in response.text or slug == "followups" or slug == "activity"
    assert " style=" not in response.text.split('id="content-main"')[1]
    assert "<script" not in response.text.split('id="content-main"')[1]


def test_money_reports_need_the_pledge_view_permission(client, world):
    user = report_user("no_money", apps=["partners", "crm"])
    client.force_login(user)

    assert client.get(url("mobilization")).status_code == 403
    assert client.get(url("pipeline")).status_code == 403
    assert client.get(url("contributions")).status_code == 403
    assert (
        client.get(reverse("reports_download", args=["pipeline", "csv"])).status_code
        == 403
    )
    assert client.get(url("activity")).status_code == 200
    assert client.get(url("followups")).status_code == 200
    assert client.get(url("membership")).status_code == 200
    start = client.get(reverse("admin:index")).text
    assert url("activity") in start
    assert url("mobilization") not in start


def test_activity_needs_the_engagement_view_permission(client, world):
    user = report_user("money_only", apps=["pledges"])
    client.force_login(user)

    assert client.get(url("activity")).status_code == 403
    assert client.get(url("mobilization")).status_code == 200


def test_a_user_without_any_report_gets_no_index(client, db):
    user = UserFactory(username="bare", is_staff=True)
    client.force_login(user)

    assert client.get(reverse("reports_index")).status_code == 403


def test_non_staff_are_sent_to_the_login_page(client, db):
    client.force_login(UserFactory(username="outsider", is_staff=False))

    response = client.get(url("pipeline"))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_an_unknown_report_is_not_found(admin_client):
    assert admin_client.get(url("nonsense")).status_code == 404


def _count(client, address: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("slug", SLUGS)
def test_query_count_does_not_grow_with_the_data(
    client, world, slug, django_assert_max_num_queries
):
    user = report_user("counter", confidential=False)
    client.force_login(user)
    address = url(slug, year=2025)
    small = _count(client, address)

    grow_world(world, 30)

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(address)
    assert response.status_code == 200
    assert _count(client, address) == small


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_downloads_run_as_many_queries_whatever_the_data(client, world, fmt):
    user = report_user("counter", confidential=True)
    client.force_login(user)
    address = reverse("reports_download", args=["contributions", fmt]) + "?year=2025"
    small = _count(client, address)

    grow_world(world, 30)

    assert _count(client, address) == small


def test_the_activity_page_counts_confidential_engagements_only_for_those_allowed(
    client, world
):
    def total(user) -> int:
        client.force_login(user)
        response = client.get(url("activity", year=2025))
        return response.context["report"].table("months").total.engagements

    assert total(report_user("plain")) == 2
    assert total(report_user("trusted", confidential=True)) == 3


def test_the_date_pickers_keep_iso_dates_in_french(db):
    with translation.override("fr"):
        filterset = ContributionsFilter(
            {"date_from": "2025-01-01"}, queryset=Pledge.objects.all()
        )
        field = str(filterset.form["date_from"])

    assert filterset.period.start == dt.date(2025, 1, 1)
    assert 'value="2025-01-01"' in field


def test_the_pipeline_lists_stage_moves_by_imports_and_payments(
    admin_client, superuser
):
    acme = PartnerFactory(name="Acme Telecom", code="ACME")
    lever = LeverFactory(code="voluntary", name="Voluntary contributions")
    PledgeFactory(partner=acme, lever=lever, external_id="AC-1", title="Signed")
    PledgeFactory(partner=acme, lever=lever, external_id="AC-2", title="Noted")
    paid = PledgeFactory(partner=acme, lever=lever, title="Paid")
    text = (
        "Reference,Partner code,Lever,Amount,Currency,Date,Stage,Signed on,Notes\n"
        "AC-1,ACME,voluntary,1000,CHF,01.03.2025,agreement signed,01.06.2025,\n"
        "AC-2,ACME,voluntary,1000,CHF,01.03.2025,pledged,,Confirmed by letter\n"
    )
    batch = batch_create(
        resource="pledges",
        data=text.encode(),
        file_name="pledges.csv",
        options=ImportOptions(),
        user=superuser,
    )
    assert batch_run(batch=batch, dry_run=False).counts["update"] == 2
    payment = admin_client.post(
        reverse("admin:pledges_payment_add"),
        {
            "pledge": paid.pk,
            "received_on": timezone.localdate().isoformat(),
            "amount": "1000.00",
            "currency": "CHF",
        },
    )
    assert payment.status_code == 302

    response = admin_client.get(url("pipeline"))

    moved = response.context["report"].table("moved").rows
    assert sorted((r.title, r.stage, r.by) for r in moved) == [
        ("Paid", "Fulfilled", "admin"),
        ("Signed", "Agreement signed", "admin"),
    ]
    assert {r.moved_on for r in moved} == {timezone.localdate()}
    assert "Noted" not in response.text
