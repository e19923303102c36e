"""Demo meetings for ``manage.py seed_demo``: a day of bilaterals to print.

Three meetings on the next working day and one later in the week, each with
partners that have a history in the demo data (the most engaged government
partners and a company), their ambassador or focal point as counterpart, and
staff who follow them. Written by natural key (title and day), so a second run
creates nothing.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from partners.models import Affiliation, Partner
from reports.models import Meeting

OBJECTIVES = {
    "government": (
        "Thank the mission for its support and secure the renewal of its "
        "voluntary contribution; agree a way forward on any arrears."
    ),
    "company": (
        "Confirm the sponsorship package for the next flagship event and "
        "explore a Partner2Connect pledge."
    ),
}
TALKING_POINTS = {
    "government": (
        "Thank for the contribution received this year\n"
        "Results of the projects the contribution funded\n"
        "Arrears: propose a payment plan if any are outstanding\n"
        "Invitation to the WSIS Forum and AI for Good"
    ),
    "company": (
        "Visibility offered at the flagship event\n"
        "Partner2Connect: connectivity pledge in least developed countries\n"
        "Next steps and the contact person on each side"
    ),
}


def _next_working_day(today: dt.date) -> dt.date:
    day = today + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _counterparts(partner: Partner, today: dt.date) -> list:
    current = (
        Affiliation.objects.filter(partner=partner)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("contact")
        .order_by("-is_primary", "pk")
    )
    return [a.contact for a in current[:2]]


def seed(*, rng: random.Random, today: dt.date, stdout) -> None:
    busiest = (
        Partner.objects.annotate(n=Count("engagements"))
        .filter(n__gt=0)
        .order_by("-n", "name")
    )
    governments = list(busiest.filter(category=Partner.Category.GOVERNMENT)[:4])
    companies = list(busiest.filter(category=Partner.Category.PRIVATE_SECTOR)[:1])
    if not governments:
        stdout.write("  no partner with engagements: no demo meetings")
        return
    staff = list(
        get_user_model()
        .objects.filter(is_staff=True, is_superuser=False)
        .order_by("username")
    )
    day = _next_working_day(today)
    plan = [
        (governments[0], "government", day, 9, 30),
        (governments[1 % len(governments)], "government", day, 11, 0),
        *[(c, "company", day, 14, 30) for c in companies],
        (
            governments[2 % len(governments)],
            "government",
            day + dt.timedelta(days=2),
            10,
            0,
        ),
    ]
    created = 0
    for partner, kind, when, hour, minute in plan:
        name = (
            partner.country.name_en
            if kind == "government" and partner.country
            else partner.short_name or partner.name
        )
        title = f"Bilateral with {name}"
        starts_at = _at(when, hour, minute)
        meeting, was_created = Meeting.objects.get_or_create(
            title=title,
            starts_at__date=when,
            defaults={
                "starts_at": starts_at,
                "ends_at": starts_at + dt.timedelta(minutes=45),
                "place": rng.choice(
                    ["Room B, Secretariat", "Permanent Mission", "Room C, Tower"]
                ),
                "objectives": OBJECTIVES[kind],
                "talking_points": TALKING_POINTS[kind],
            },
        )
        if was_created:
            created += 1
            meeting.partners.set([partner])
            meeting.counterparts.set(_counterparts(partner, today))
            if staff:
                meeting.staff.set(rng.sample(staff, min(2, len(staff))))
    stdout.write(f"  meetings: {created} created")
