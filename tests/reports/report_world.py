"""A small world whose report figures are worked out by hand in the tests.

Everything in CHF, so no exchange rate is needed. "Today" is 30 June 2025
(pass ``TODAY`` to the report functions); the year is 2025.

Pledges (partner, lever, stage, CHF, date; payments):
  a  Alphaland  Core      agreement signed  80,000  2025-02-01; 30,000 2025-03-15
  b  Beta       Core      fulfilled         20,000  2025-01-10; 20,000 2025-01-20
  c  Gamma      Projects  proposal          40,000  expected 2025-09-30
  d  Beta       Projects  prospect          10,000  expected 2026-03-31
  e  Alphaland  Projects  declined           5,000  2025-04-01, closed 2025-06-20
  f  Gamma      Core      fulfilled         10,000  2024-05-01; 10,000 2024-06-01
  g  Alphaland  Core      fulfilled          5,000  2023-01-01;  5,000 2023-02-01
Targets 2025: Core 100,000, Projects 50,000.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Permission

from crm.models import Country
from partners.models import Engagement, FollowUp, Membership, Partner
from pledges.models import Pledge
from tests.factories import (
    CountryFactory,
    EngagementFactory,
    FollowUpFactory,
    GovernmentFactory,
    LeverFactory,
    MembershipFactory,
    PartnerFactory,
    PaymentFactory,
    PledgeFactory,
    TagFactory,
    TargetFactory,
    UnitValueFactory,
    UserFactory,
)

TODAY = dt.date(2025, 6, 30)
ENTERED = dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.UTC)
D = Decimal


@dataclass
class World:
    alice: object
    bob: object
    core: object
    projects: object
    alpha: Partner
    beta: Partner
    gamma: Partner
    deltaland: Partner
    epsilonia: Partner
    pledges: dict
    engagements: dict
    followups: dict


def report_user(
    username: str, *, confidential: bool = False, apps=None, export: bool = True
):
    """Staff with the view permissions of ``apps``, export, maybe confidential."""
    user = UserFactory(username=username, is_staff=True)
    perms = Permission.objects.filter(
        content_type__app_label__in=apps or ["partners", "pledges", "crm"],
        codename__startswith="view_",
    ).exclude(codename="view_confidential_engagement")
    if confidential:
        perms = perms | Permission.objects.filter(
            codename="view_confidential_engagement"
        )
    if export:
        perms = perms | Permission.objects.filter(codename="export_data")
    user.user_permissions.set(perms)
    return type(user).objects.get(pk=user.pk)  # fresh permission cache


def build_world() -> World:
    alice = UserFactory(username="alice", first_name="Alice", last_name="Arnaud")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Berg")
    eur = CountryFactory(iso3="QAL", name_en="Alphaland", itu_region=Country.Region.EUR)
    afr = CountryFactory(iso3="QDE", name_en="Deltaland", itu_region=Country.Region.AFR)
    eps = CountryFactory(iso3="QEP", name_en="Epsilonia", itu_region=Country.Region.EUR)
    donor = TagFactory(name="donor")
    alpha = GovernmentFactory(country=eur, name="Government of Alphaland")
    alpha.tags.add(donor)
    beta = PartnerFactory(
        name="Beta Telecom",
        country=afr,
        category=Partner.Category.PRIVATE_SECTOR,
        priority=Partner.Priority.HIGH,
    )
    gamma = PartnerFactory(
        name="Gamma Foundation", country=eur, category=Partner.Category.FOUNDATION
    )
    deltaland = GovernmentFactory(country=afr, name="Government of Deltaland")
    epsilonia = GovernmentFactory(country=eps, name="Government of Epsilonia")

    core = LeverFactory(code="core", name="Core", position=1)
    projects = LeverFactory(code="projects", name="Projects", position=2)
    TargetFactory(lever=core, year=2025, amount_chf=D("100000.00"))
    TargetFactory(lever=projects, year=2025, amount_chf=D("50000.00"))

    def pledge(key, partner, lever, stage, amount, **dates):
        return key, PledgeFactory(
            partner=partner,
            lever=lever,
            stage=stage,
            amount=D(amount),
            title=f"Pledge {key}",
            **{"pledged_on": None, **dates},
        )

    pledges = dict(
        [
            pledge(
                "a",
                alpha,
                core,
                "agreement_signed",
                "80000",
                pledged_on=dt.date(2025, 2, 1),
                earmarking=Pledge.Earmarking.EARMARKED,
                owner=alice,
            ),
            pledge(
                "b", beta, core, "fulfilled", "20000", pledged_on=dt.date(2025, 1, 10)
            ),
            pledge(
                "c",
                gamma,
                projects,
                "proposal",
                "40000",
                expected_by=dt.date(2025, 9, 30),
            ),
            pledge(
                "d",
                beta,
                projects,
                "prospect",
                "10000",
                expected_by=dt.date(2026, 3, 31),
            ),
            pledge(
                "e",
                alpha,
                projects,
                "declined",
                "5000",
                pledged_on=dt.date(2025, 4, 1),
                closed_on=dt.date(2025, 6, 20),
            ),
            pledge(
                "f",
                gamma,
                core,
                "fulfilled",
                "10000",
                pledged_on=dt.date(2024, 5, 1),
                earmarking=Pledge.Earmarking.SOFTLY_EARMARKED,
            ),
            pledge(
                "g", alpha, core, "fulfilled", "5000", pledged_on=dt.date(2023, 1, 1)
            ),
        ]
    )
    for key, on, amount in [
        ("a", dt.date(2025, 3, 15), "30000"),
        ("b", dt.date(2025, 1, 20), "20000"),
        ("f", dt.date(2024, 6, 1), "10000"),
        ("g", dt.date(2023, 2, 1), "5000"),
    ]:
        PaymentFactory(pledge=pledges[key], received_on=on, amount=D(amount))

    # The pledges' history: all entered on 1 January; c moved from cultivation
    # five days ago, a had its notes edited, d moved from cultivation long ago.
    for item in pledges.values():
        item.history.update(history_date=ENTERED)
    for key, when, stage_before in [
        ("c", dt.datetime(2025, 6, 25, 10, 0, tzinfo=dt.UTC), "cultivation"),
        ("a", dt.datetime(2025, 6, 26, 10, 0, tzinfo=dt.UTC), None),
        ("d", dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.UTC), "cultivation"),
    ]:
        item = pledges[key]
        if stage_before:
            item.history.update(stage=stage_before)
        else:
            item.notes = "Amount confirmed by letter"
        item._history_date, item._history_user = when, bob
        item.save()
        del item._history_date, item._history_user

    def engagement(key, when, kind, partners, staff=(), **extra):
        item = EngagementFactory(date=when, kind=kind, partners=partners, **extra)
        item.staff.set(staff)
        return key, item

    engagements = dict(
        [
            engagement(
                "e1", dt.date(2025, 1, 15), Engagement.Kind.MEETING, [alpha], [alice]
            ),
            engagement(
                "e2",
                dt.date(2025, 2, 10),
                Engagement.Kind.CALL,
                [alpha, beta],
                [alice, bob],
            ),
            engagement(
                "e3",
                dt.date(2025, 5, 1),
                Engagement.Kind.MEETING,
                [beta],
                confidential=True,
            ),
            engagement(
                "e4", dt.date(2024, 11, 1), Engagement.Kind.MEETING, [gamma], [bob]
            ),
        ]
    )

    def followup(key, assignee, partner, due, status="open", **extra):
        return key, FollowUpFactory(
            assignee=assignee, partner=partner, due_date=due, status=status, **extra
        )

    followups = dict(
        [
            followup("f1", alice, alpha, dt.date(2025, 6, 1)),
            followup("f2", alice, alpha, dt.date(2025, 7, 5)),
            followup("f3", bob, beta, dt.date(2025, 8, 30)),
            followup(
                "f4",
                bob,
                beta,
                dt.date(2025, 3, 1),
                FollowUp.Status.DONE,
                done_on=dt.date(2025, 2, 28),
            ),
            followup(
                "f5",
                alice,
                alpha,
                dt.date(2025, 4, 1),
                FollowUp.Status.DONE,
                done_on=dt.date(2025, 4, 10),
            ),
            followup(
                "f6", alice, alpha, dt.date(2025, 5, 1), FollowUp.Status.CANCELLED
            ),
            followup(
                "f7", bob, beta, dt.date(2025, 5, 15), engagement=engagements["e3"]
            ),
        ]
    )

    UnitValueFactory(year=2023, member_state_unit_chf=D("200000.00"))
    UnitValueFactory(year=2024, member_state_unit_chf=D("300000.00"))
    UnitValueFactory(year=2025, member_state_unit_chf=D("300000.00"))
    MembershipFactory(
        partner=alpha, contribution_class=D("2"), arrears_chf=D("1000000.00")
    )
    MembershipFactory(
        partner=deltaland, contribution_class=D("1"), arrears_chf=D("400000.00")
    )
    MembershipFactory(partner=epsilonia, contribution_class=D("1"))
    MembershipFactory(
        partner=beta,
        type=Membership.Type.SECTOR_MEMBER,
        sector=Membership.Sector.T,
        contribution_class=D("1"),
        arrears_chf=D("60000.00"),
    )
    MembershipFactory(
        partner=gamma,
        type=Membership.Type.ASSOCIATE,
        sector=Membership.Sector.D,
        contribution_class=D("0.0625"),
    )
    return World(
        alice=alice,
        bob=bob,
        core=core,
        projects=projects,
        alpha=alpha,
        beta=beta,
        gamma=gamma,
        deltaland=deltaland,
        epsilonia=epsilonia,
        pledges=pledges,
        engagements=engagements,
        followups=followups,
    )


def grow_world(world: World, n: int) -> None:
    """Add ``n`` (< 260) more of everything, to show query counts do not grow."""
    for i in range(n):
        # Countries of their own: the factory's sequence of codes wraps around.
        country = CountryFactory(
            iso3=f"G{i:02d}",
            iso2=f"{chr(71 + i // 26)}{chr(65 + i % 26)}",  # G? to P?: n < 260
            m49=500 + i,
            itu_region=Country.Region.values[i % 6],
        )
        partner = PartnerFactory(name=f"Extra partner {i}", country=country)
        pledge = PledgeFactory(
            partner=partner,
            lever=world.core if i % 2 else world.projects,
            stage=["prospect", "pledged", "fulfilled", "proposal"][i % 4],
            amount=D("1000.00"),
            pledged_on=dt.date(2025, 1 + i % 12, 1),
            expected_by=dt.date(2025, 1 + i % 12, 15),
        )
        PaymentFactory(pledge=pledge, received_on=dt.date(2025, 1 + i % 12, 2))
        if pledge.stage == "proposal":
            # A stage move today, for the pipeline's "moved stage" table.
            pledge.history.update(stage="cultivation")
            pledge.save()
        item = EngagementFactory(
            date=dt.date(2025, 1 + i % 12, 3),
            partners=[partner, world.alpha],
            confidential=bool(i % 3 == 0),
        )
        item.staff.set([world.alice, world.bob])
        FollowUpFactory(
            partner=partner,
            assignee=UserFactory(username=f"extra{i}"),
            due_date=dt.date(2025, 1 + i % 12, 4),
        )
        MembershipFactory(
            partner=GovernmentFactory(name=f"Extra government {i}", country=country),
            contribution_class=D("0.5"),
            arrears_chf=D("100.00") if i % 2 else D("0.00"),
        )
