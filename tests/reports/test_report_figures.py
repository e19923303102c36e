"""Each report's figures against values worked out by hand (see report_world)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from partners.models import Engagement, FollowUp, Membership
from pledges.models import Pledge
from reports.figures.activity import activity_report
from reports.figures.contributions import contributions_report
from reports.figures.followups import followups_report
from reports.figures.membership import membership_report
from reports.figures.mobilization import mobilization_report
from reports.figures.pipeline import pipeline_report
from reports.filters import Period
from tests.reports.report_world import TODAY, build_world, report_user

pytestmark = pytest.mark.django_db
D = Decimal
YEAR_2025 = Period.year(2025)


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def plain(db):
    return report_user("plain")


@pytest.fixture
def trusted(db):
    return report_user("trusted", confidential=True)


def rows(table):
    return [tuple(values) for values in table.body()]


def lever_rows(table):
    # The pledges migration seeds the strategy's levers; only ours have figures.
    return [row for row in rows(table) if row[1] in ("Core", "Projects")]


def total(table):
    return tuple(table.values(table.total))


def test_mobilization_per_lever_and_year(world):
    report = mobilization_report(
        pledges=Pledge.objects.all(), period=YEAR_2025, today=TODAY
    )

    levers = report.table("levers")
    assert lever_rows(levers) == [
        (
            2025,
            "Core",
            D("100000.00"),
            D("50000.00"),
            D("50000.00"),
            D("45000.00"),
            D("50.0"),
        ),
        (
            2025,
            "Projects",
            D("50000.00"),
            D("0.00"),
            D("0.00"),
            D("20000.00"),
            D("0.0"),
        ),
    ]
    assert total(levers) == (
        2025,
        "All levers",
        D("150000.00"),
        D("50000.00"),
        D("50000.00"),
        D("65000.00"),
        D("33.3"),
    )


def test_mobilization_year_to_date_against_the_target(world):
    report = mobilization_report(
        pledges=Pledge.objects.all(), period=YEAR_2025, today=TODAY
    )

    ytd = report.table("ytd")
    assert [r.cumulative_chf for r in ytd.rows] == [
        D("20000.00"),
        D("20000.00"),
        D("50000.00"),
        D("50000.00"),
        D("50000.00"),
        D("50000.00"),
    ]
    assert ytd.rows[0].received_chf == D("20000.00")
    assert ytd.rows[5].target_pace_chf == D("75000.00")
    assert ytd.rows[5].percent_of_target == D("33.3")
    assert "<svg" in ytd.chart and "polyline" in ytd.chart


def test_mobilization_over_two_years_has_a_row_per_lever_and_year(world):
    report = mobilization_report(
        pledges=Pledge.objects.all(), period=Period.year(2024), today=TODAY
    )
    assert [(r[1], r[3]) for r in lever_rows(report.table("levers"))] == [
        ("Core", D("10000.00")),
        ("Projects", D("0.00")),
    ]

    report = mobilization_report(
        pledges=Pledge.objects.all(),
        period=Period(dt.date(2024, 1, 1), dt.date(2025, 12, 31)),
        today=TODAY,
    )
    assert [(r.year, r.received_chf) for r in report.table("years").rows] == [
        (2024, D("10000.00")),
        (2025, D("50000.00")),
    ]
    assert report.table("levers").total.received_chf == D("60000.00")
    # Projects 2026 prospect d is not in either year.
    assert report.table("levers").total.weighted_pipeline_chf == D("65000.00")


def test_pipeline_by_stage(world):
    report = pipeline_report(pledges=Pledge.objects.all(), period=None, today=TODAY)

    stages = report.table("stages")
    assert rows(stages) == [
        ("Prospect", 1, D("10000.00"), D("1000.00")),
        ("Cultivation", 0, D("0.00"), D("0.00")),
        ("Proposal", 1, D("40000.00"), D("20000.00")),
        ("Pledged", 0, D("0.00"), D("0.00")),
        ("Agreement signed", 1, D("80000.00"), D("45000.00")),
        ("Fulfilled", 3, D("35000.00"), D("0.00")),
        ("Declined", 1, D("5000.00"), D("0.00")),
        ("Withdrawn", 0, D("0.00"), D("0.00")),
    ]
    assert total(stages)[1:] == (3, D("130000.00"), D("66000.00"))


def test_pipeline_by_expected_quarter(world):
    report = pipeline_report(pledges=Pledge.objects.all(), period=None, today=TODAY)

    quarters = report.table("quarters")
    assert rows(quarters) == [
        ("2025 Q3", 1, D("40000.00"), D("20000.00")),
        ("2026 Q1", 1, D("10000.00"), D("1000.00")),
        ("No expected date", 1, D("50000.00"), D("45000.00")),
    ]
    assert total(quarters)[1:] == (3, D("100000.00"), D("66000.00"))


def test_pipeline_lists_stage_moves_of_the_last_30_days(world):
    report = pipeline_report(pledges=Pledge.objects.all(), period=None, today=TODAY)

    moved = report.table("moved").rows
    assert [(r.moved_on, r.title, r.stage, r.by) for r in moved] == [
        (dt.date(2025, 6, 25), "Pledge c", "Proposal", "bob"),
        (dt.date(2025, 6, 20), "Pledge e", "Declined", ""),
    ]


def test_pipeline_for_a_year_counts_the_pledges_dated_in_it(world):
    report = pipeline_report(
        pledges=Pledge.objects.all(), period=YEAR_2025, today=TODAY
    )

    counts = {r.stage: r.count for r in report.table("stages").rows}
    assert counts["Prospect"] == 0  # d is expected in 2026
    assert counts["Fulfilled"] == 1  # b; f is 2024, g 2023
    assert counts["Proposal"] == 1  # c, by its expected date


def test_contributions_by_year_region_category_and_earmarking(world):
    period = Period(dt.date(2024, 1, 1), dt.date(2025, 12, 31))

    report = contributions_report(
        pledges=Pledge.objects.all(), period=period, today=TODAY
    )

    assert rows(report.table("years")) == [
        ("2024", D("10000.00"), 1, D("16.7")),
        ("2025", D("50000.00"), 2, D("83.3")),
    ]
    assert total(report.table("years")) == ("Total", D("60000.00"), 3, D("100.0"))
    assert rows(report.table("regions")) == [
        ("Europe", D("40000.00"), 2, D("66.7")),
        ("Africa", D("20000.00"), 1, D("33.3")),
    ]
    assert rows(report.table("categories")) == [
        ("Government", D("30000.00"), 1, D("50.0")),
        ("Private sector", D("20000.00"), 1, D("33.3")),
        ("Foundation", D("10000.00"), 1, D("16.7")),
    ]
    assert rows(report.table("earmarking")) == [
        ("Unearmarked", D("20000.00"), 1, D("33.3")),
        ("Softly earmarked", D("10000.00"), 1, D("16.7")),
        ("Earmarked", D("30000.00"), 1, D("50.0")),
    ]


def test_contributions_top_partners_first_time_and_lapsed(world):
    period = Period(dt.date(2024, 1, 1), dt.date(2025, 12, 31))

    report = contributions_report(
        pledges=Pledge.objects.all(), period=period, today=TODAY
    )

    top = report.table("top").rows
    assert [(r.partner, r.received_chf, r.payments) for r in top] == [
        ("Government of Alphaland", D("30000.00"), 1),
        ("Beta Telecom", D("20000.00"), 1),
        ("Gamma Foundation", D("10000.00"), 1),
    ]
    # Alphaland gave in 2023 already: not a first-time contributor.
    first_time = report.table("first_time").rows
    assert [(r.partner, r.received_chf, r.on) for r in first_time] == [
        ("Beta Telecom", D("20000.00"), dt.date(2025, 1, 20)),
    ]
    assert [(r.partner, r.received_chf, r.on) for r in report.table("lapsed").rows] == [
        ("Gamma Foundation", D("10000.00"), dt.date(2024, 6, 1)),
    ]


def activity(user, months=3, **kwargs):
    from partners.models import Partner

    return activity_report(
        engagements=Engagement.objects.all(),
        partners=Partner.objects.all(),
        period=YEAR_2025,
        months=months,
        user=user,
        today=TODAY,
        **kwargs,
    )


def test_activity_counts_only_the_engagements_the_user_may_see(world, plain, trusted):
    hidden, shown = activity(plain), activity(trusted)

    assert [r.engagements for r in hidden.table("months").rows[:6]] == [
        1,
        1,
        0,
        0,
        0,
        0,
    ]
    assert [r.engagements for r in shown.table("months").rows[:6]] == [1, 1, 0, 0, 1, 0]
    assert hidden.table("months").total.engagements == 2
    assert shown.table("months").total.engagements == 3
    assert len(hidden.table("months").rows) == 12


def test_activity_by_kind_staff_and_region(world, plain, trusted):
    hidden, shown = activity(plain), activity(trusted)

    def counts(report, key):
        return {r.group: r.engagements for r in report.table(key).rows if r.engagements}

    assert counts(hidden, "kinds") == {"Meeting": 1, "Call": 1}
    assert counts(shown, "kinds") == {"Meeting": 2, "Call": 1}
    assert counts(hidden, "staff") == {"Alice Arnaud": 2, "Bob Berg": 1}
    assert counts(shown, "staff") == {
        "Alice Arnaud": 2,
        "Bob Berg": 1,
        "No staff recorded": 1,
    }
    assert counts(hidden, "regions") == {"Europe": 2, "Africa": 1}
    assert counts(shown, "regions") == {"Europe": 2, "Africa": 2}


def test_activity_lists_member_states_and_top_partners_not_engaged(
    world, plain, trusted
):
    def names(report):
        return [(r.partner, r.last_engagement) for r in report.table("dormant").rows]

    # Beta's last engagement is confidential (1 May): hidden, Beta looks dormant.
    assert names(activity(plain)) == [
        ("Government of Deltaland", None),
        ("Government of Epsilonia", None),
        ("Beta Telecom", dt.date(2025, 2, 10)),
        ("Government of Alphaland", dt.date(2025, 2, 10)),
    ]
    assert names(activity(trusted)) == [
        ("Government of Deltaland", None),
        ("Government of Epsilonia", None),
        ("Government of Alphaland", dt.date(2025, 2, 10)),
    ]
    assert [r.partner for r in activity(trusted, months=6).table("dormant").rows] == [
        "Government of Deltaland",
        "Government of Epsilonia",
    ]


def followups(user):
    return followups_report(
        followups=FollowUp.objects.all(), period=YEAR_2025, user=user, today=TODAY
    )


def test_followups_open_by_assignee_overdue_first(world, plain, trusted):
    assert rows(followups(plain).table("assignees")) == [
        ("Alice Arnaud", 2, 1, 1, dt.date(2025, 6, 1)),
        ("Bob Berg", 1, 0, 0, dt.date(2025, 8, 30)),
    ]
    # The confidential engagement's follow-up (f7, overdue) counts for trusted.
    assert rows(followups(trusted).table("assignees")) == [
        ("Alice Arnaud", 2, 1, 1, dt.date(2025, 6, 1)),
        ("Bob Berg", 2, 1, 0, dt.date(2025, 5, 15)),
    ]
    listing = followups(plain).table("open").rows
    assert [(r.due_date, r.overdue) for r in listing] == [
        (dt.date(2025, 6, 1), "overdue"),
        (dt.date(2025, 7, 5), ""),
        (dt.date(2025, 8, 30), ""),
    ]


def test_followups_completion_rate(world, plain):
    completion = followups(plain).table("completion")

    assert rows(completion) == [
        ("Alice Arnaud", 3, 1, 0, D("33.3"), D("0.0")),
        ("Bob Berg", 2, 1, 1, D("50.0"), D("50.0")),
    ]
    assert total(completion) == ("Total", 5, 2, 1, D("40.0"), D("20.0"))


def test_membership_by_class_and_region(world):
    report = membership_report(
        memberships=Membership.objects.all(), year=2025, today=TODAY
    )

    classes = report.table("classes")
    figures = [
        (r.contribution_class, r.AFR, r.EUR, r.total, r.units, r.dues_chf)
        for r in classes.rows
    ]
    assert figures == [
        ("2", 0, 1, 1, D("2"), D("600000.00")),
        ("1", 1, 1, 2, D("2"), D("600000.00")),
    ]
    assert (classes.total.total, classes.total.dues_chf) == (3, D("1200000.00"))


def test_membership_arrears_and_their_consequence(world):
    report = membership_report(
        memberships=Membership.objects.all(), year=2025, today=TODAY
    )

    arrears = [
        (r.partner, r.annual_dues_chf, r.arrears_chf, r.years_of_dues, r.consequence)
        for r in report.table("arrears").rows
    ]
    # Alphaland: class 2 x (2024 unit 300,000 + 2023 unit 200,000) = 1,000,000
    # reached. Deltaland: 400,000 < 1 x 500,000. Beta (Sector Member, 1/5 of
    # the unit): 60,000 = a year of dues.
    assert arrears == [
        (
            "Government of Alphaland",
            D("600000.00"),
            D("1000000.00"),
            D("1.7"),
            "Vote lost",
        ),
        (
            "Beta Telecom",
            D("60000.00"),
            D("60000.00"),
            D("1.0"),
            "Liable to suspension",
        ),
        ("Government of Deltaland", D("300000.00"), D("400000.00"), D("1.3"), ""),
    ]
