"""Report filters come from the query string, so a filtered report bookmarks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.http import urlencode

from tests.reports.report_world import build_world

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def world(db):
    return build_world()


def report(client, slug: str, **params):
    address = reverse("reports_dashboard", args=[slug]) + "?" + urlencode(params)
    response = client.get(address)
    assert response.status_code == 200
    return response


def figures(response, table: str, *columns: str):
    rows = response.context["report"].table(table).rows
    return [tuple(getattr(r, c) for c in columns) for r in rows]


def test_mobilization_by_lever(admin_client, world):
    response = report(admin_client, "mobilization", year=2025, lever=world.projects.pk)

    levers = response.context["report"].table("levers")
    assert [r.lever for r in levers.rows] == ["Projects"]
    assert levers.total.target_chf == D("50000.00")
    assert levers.total.weighted_pipeline_chf == D("20000.00")


def test_mobilization_by_region_keeps_the_targets(admin_client, world):
    response = report(admin_client, "mobilization", year=2025, region="AFR")

    rows = {
        r[0]: r[1:]
        for r in figures(
            response,
            "levers",
            "lever",
            "target_chf",
            "received_chf",
            "signed_not_received_chf",
            "weighted_pipeline_chf",
        )
    }
    assert rows["Core"] == (D("100000.00"), D("20000.00"), D("0.00"), D("0.00"))
    assert rows["Projects"] == (D("50000.00"), D("0.00"), D("0.00"), D("0.00"))


def test_mobilization_by_owner(admin_client, world):
    response = report(admin_client, "mobilization", year=2025, owner=world.alice.pk)

    assert response.context["report"].table("levers").total.received_chf == D(
        "30000.00"
    )


def test_contributions_by_date_range_category_and_tag(admin_client, world):
    def received(**params):
        response = report(admin_client, "contributions", **params)
        return response.context["report"].table("years").total.received_chf

    assert received(date_from="2025-01-01", date_to="2025-02-28") == D("20000.00")
    assert received(year=2025, category="government") == D("30000.00")
    assert received(
        date_from="2024-01-01", date_to="2025-12-31", tag=world.alpha.tags.get().pk
    ) == D("30000.00")


def test_pipeline_by_stage_and_year(admin_client, world):
    by_stage = report(admin_client, "pipeline", stage="proposal")
    assert by_stage.context["report"].table("stages").total.count == 1

    year = report(admin_client, "pipeline", year=2025)
    counts = dict(figures(year, "stages", "stage", "count"))
    assert counts["Prospect"] == 0
    assert counts["Proposal"] == 1


def test_activity_by_region_kind_and_staff(admin_client, world):
    def total(**params):
        response = report(admin_client, "activity", year=2025, **params)
        return response.context["report"].table("months").total.engagements

    # The superuser sees the confidential engagement with Beta too.
    assert total() == 3
    assert total(region="AFR") == 2
    assert total(kind="call") == 1
    assert total(staff=world.bob.pk) == 1
    assert total(tag=world.alpha.tags.get().pk) == 2


def test_followups_by_assignee(admin_client, world):
    response = report(admin_client, "followups", year=2025, assignee=world.bob.pk)

    assert [r.assignee for r in response.context["report"].table("assignees").rows] == [
        "Bob Berg"
    ]


def test_membership_by_region(admin_client, world):
    response = report(admin_client, "membership", year=2025, region="AFR")

    classes = response.context["report"].table("classes")
    assert classes.total.total == 1
    assert [r.partner for r in response.context["report"].table("arrears").rows] == [
        "Beta Telecom",
        "Government of Deltaland",
    ]


def test_the_download_links_carry_the_filters(admin_client, world):
    response = report(admin_client, "pipeline", year=2025, stage="proposal")

    assert "download.xlsx?year=2025&amp;stage=proposal" in response.text
    assert "download.csv?year=2025&amp;stage=proposal&amp;table=stages" in response.text
    assert 'name="year" value="2025"' in response.text


def test_a_bad_value_is_reported_and_the_rest_still_applies(admin_client, world):
    response = report(admin_client, "mobilization", year="abc", lever=world.core.pk)

    assert response.context["filterset"].errors["year"]
    assert [r.lever for r in response.context["report"].table("levers").rows] == [
        "Core"
    ]
