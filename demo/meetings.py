"""The reports app's demo data: a day of bilaterals to print.

Three meetings on the next working day and one later in the week, each with
partners that have a history in the demo data (the most engaged government
partners and a company), their ambassador or focal point as counterpart, and
staff who follow them; titles, places, objectives and talking points come from
``demo/data/meetings.json``. Written by natural key (title and day), so a
second run creates nothing.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from demo import catalogue
from partners.models import Affiliation, Partner
from reports.models import Meeting


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
    """Load the demo meetings; see the module docstring."""
    texts = catalogue.meetings()
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
        title = texts.title.format(partner=name)
        starts_at = _at(when, hour, minute)
        meeting, was_created = Meeting.objects.get_or_create(
            title=title,
            starts_at__date=when,
            defaults={
                "starts_at": starts_at,
                "ends_at": starts_at + dt.timedelta(minutes=45),
                "place": rng.choice(texts.places),
                "objectives": getattr(texts, kind).objectives,
                "talking_points": "\n".join(getattr(texts, kind).talking_points),
            },
        )
        if was_created:
            created += 1
            meeting.partners.set([partner])
            meeting.counterparts.set(_counterparts(partner, today))
            if staff:
                meeting.staff.set(rng.sample(staff, min(2, len(staff))))
    stdout.write(f"  meetings: {created} created")
