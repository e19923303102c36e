"""Two years of history: events, engagements and their follow-ups.

Planned in memory from the random generator, ``today``, the people of
``demo.people`` and the texts of the data files; ``demo.partners`` writes it.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from decimal import Decimal

from demo import catalogue
from demo.people import PlannedAffiliation, PlannedContact, StateInfo, owners
from partners.models import (
    Affiliation,
    Engagement,
    Event,
    FollowUp,
    Partner,
    format_class,
)

Category = Partner.Category
Role = Affiliation.Role

HISTORY_DAYS = 730
ENGAGEMENT_COUNT = 360  # plus briefings and meetings at events: ~400 in all
KIND_WEIGHTS = {
    Engagement.Kind.MEETING: 36,
    Engagement.Kind.CALL: 24,
    Engagement.Kind.EMAIL: 22,
    Engagement.Kind.LETTER: 5,
    Engagement.Kind.VISIT: 5,
    Engagement.Kind.BRIEFING: 4,
}
# The topics' audience each kind of organisation belongs to (catalogue.AUDIENCES).
AUDIENCE = {
    Category.GOVERNMENT_AGENCY: "agency",
    Category.PRIVATE_SECTOR: "company",
    Category.ACADEMIA: "academia",
    Category.FOUNDATION: "foundation",
    Category.DEVELOPMENT_BANK: "bank",
    Category.UN_ENTITY: "un",
    Category.IGO: "igo",
    Category.CIVIL_SOCIETY: "ngo",
}
AMOUNTS = [100_000, 150_000, 250_000, 300_000, 500_000, 750_000, 1_000_000, 2_000_000]


@dataclass
class PlannedFollowUp:
    description: str
    assignee: str  # username
    due: dt.date
    status: str
    done_on: dt.date | None = None
    partner: str = ""  # partner code


@dataclass
class PlannedEngagement:
    date: dt.date
    kind: str
    subject: str
    summary: str
    outcome: str
    partners: list[str]
    contacts: list[str]  # e-mails
    staff: list[str]  # usernames
    event: tuple[str, dt.date] | None = None
    confidential: bool = False
    followups: list[PlannedFollowUp] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedEvent:
    name: str
    kind: str
    start: dt.date
    end: dt.date
    place: str
    country: str
    website: str = ""


# --- Helpers -------------------------------------------------------------------


_SENTENCE_START = re.compile(r"(?:^|(?<=\. ))[a-z]")


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _weekday(day: dt.date, today: dt.date) -> dt.date:
    """Move a weekend day to the nearest working day on or before today."""
    if day.weekday() == 5:
        day -= dt.timedelta(days=1)
    elif day.weekday() == 6:
        day += dt.timedelta(days=1)
        if day > today:
            day -= dt.timedelta(days=3)
    return day


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 7 * (n - 1))


def _money(amount: int, iso3: str, euro_area: frozenset[str]) -> tuple[str, str]:
    """An amount in the partner's currency, and as text."""
    if iso3 == "CHE":
        currency = "CHF"
    elif iso3 in euro_area:
        currency = "EUR"
    elif iso3 == "GBR":
        currency = "GBP"
    elif iso3 == "JPN":
        currency, amount = "JPY", amount * 150
    elif iso3 in {"SWE", "NOR"}:
        currency, amount = ("SEK" if iso3 == "SWE" else "NOK"), amount * 10
    else:
        currency = "USD"
    return currency, f"{currency} {amount:,}"


def _class_text(value: str) -> str:
    return format_class(Decimal(value))


# --- Planning ------------------------------------------------------------------


def plan_events(today: dt.date) -> list[PlannedEvent]:
    """The flagship and other events of the last two years and the next one."""
    listed = catalogue.events()
    events: list[PlannedEvent] = []
    for year in range(today.year - 2, today.year + 2):
        for s in listed.series:
            if year > today.year and not s.listed_a_year_ahead:
                continue
            edition = s.dates.get(str(year))
            start, days = (
                (edition.start, edition.days)
                if edition
                else (_nth_weekday(year, s.month, s.weekday, s.week), s.days)
            )
            place, country = s.place, s.country
            if s.places_by_year:
                venue = s.places_by_year[year % len(s.places_by_year)]
                place, country = venue.place, venue.country
            events.append(
                PlannedEvent(
                    f"{s.name} {year}",
                    s.kind,
                    start,
                    start + dt.timedelta(days=days - 1),
                    place,
                    country,
                    s.website,
                )
            )
    for e in listed.one_off:
        if today.year - 2 <= e.start.year <= today.year:
            events.append(
                PlannedEvent(
                    e.name, e.kind, e.start, e.end, e.place, e.country, e.website
                )
            )
    return events


def plan_engagements(
    rng: random.Random,
    today: dt.date,
    states: list[StateInfo],
    contacts: dict[str, PlannedContact],
    affiliations: list[PlannedAffiliation],
    events: list[PlannedEvent],
    classes: dict[str, str],
) -> list[PlannedEngagement]:
    state_by_code = {s.code: s for s in states}
    organisations = catalogue.organisations()
    orgs = {org.code: org for org in organisations}
    staff_members = catalogue.staff()
    owner_of = owners(states, staff_members, organisations)
    facts = catalogue.member_states()
    large = facts.contribution_classes
    texts = catalogue.engagement_texts()
    all_topics = catalogue.topics()
    by_partner: dict[str, list[PlannedAffiliation]] = {}
    for affiliation in affiliations:
        by_partner.setdefault(affiliation.partner, []).append(affiliation)
    developing = sorted(
        s.name for s in states if s.is_member and s.income in {"Low", "Lower middle"}
    )
    usernames = [member.username for member in staff_members]
    start = today - dt.timedelta(days=HISTORY_DAYS)
    past_events = [e for e in events if start <= e.start <= today]

    # Partners to draw from, with weights.
    codes: list[str] = []
    weights: list[float] = []
    for state in states:
        if not state.is_member and state.iso3 != "PSE":
            continue
        codes.append(state.code)
        has_mission = state.code in by_partner
        is_large = state.iso3 in large
        weights.append((3.0 if has_mission else 0.25) + (3.0 if is_large else 0.0))
    for org in organisations:
        codes.append(org.code)
        weights.append(6.0 if org.priority == Partner.Priority.HIGH else 3.5)

    def label(code: str) -> str:
        state = state_by_code.get(code)
        return state.name if state else orgs[code].name

    def audience(code: str) -> str:
        state = state_by_code.get(code)
        if state is None:
            return AUDIENCE[orgs[code].category]
        donor = state.income == "High" or state.iso3 in large
        return "donor" if donor else "beneficiary"

    def current(code: str, day: dt.date) -> list[PlannedAffiliation]:
        return [a for a in by_partner.get(code, []) if a.active_on(day)]

    def pick_staff(code: str) -> list[str]:
        owner = owner_of.get(code) or rng.choice(usernames)
        staff = [owner]
        if rng.random() < 0.3:
            other = rng.choice(usernames)
            if other != owner:
                staff.append(other)
        return staff

    def fill(text: str, values: dict[str, str]) -> str:
        # "the mission confirmed..." at the start of a sentence needs a capital.
        return _SENTENCE_START.sub(lambda m: m.group(0).upper(), text.format(**values))

    def values_for(code: str, day: dt.date, people: list[str], staff: list[str]):
        state = state_by_code.get(code)
        iso3 = state.iso3 if state else orgs[code].country
        amount = rng.choice(AMOUNTS)
        currency, amount_text = _money(amount, iso3, facts.euro_area)
        if state and state.income in {"Low", "Lower middle"}:
            project_country = state.name
        else:
            project_country = rng.choice(developing)
        short = state.name if state else (orgs[code].short_name or orgs[code].name)
        contact = (
            contacts[people[0]].display
            if people
            else ("the mission" if state else f"the {short} team")
        )
        units = classes.get(code, "1")
        after_summer = day.month >= 8
        month = (day + dt.timedelta(days=rng.randint(30, 120))).strftime("%B")
        member = staff_members[usernames.index(staff[0])]
        return {
            "partner": label(code),
            "short": short,
            "country": state.name if state else "",
            "country_s": _possessive(state.name) if state else "",
            "contact": contact,
            "staff": f"{member.first_name} {member.last_name}",
            "theme": rng.choice(texts.themes),
            "year": str(day.year),
            "prev_year": str(day.year - 2),
            "next_year": str(day.year + 1),
            "event_year": str(day.year + 1 if after_summer else day.year),
            "girls_year": str(day.year + 1 if day.month >= 5 else day.year),
            "month": month,
            "amount": amount_text,
            "currency": currency,
            "project_country": project_country,
            "project_country_s": _possessive(project_country),
            "schools": f"{rng.randint(8, 40) * 250:,}",
            "percent": str(rng.randint(35, 85)),
            "in_kind": rng.choice(texts.in_kind_offers),
            "units": f"{_class_text(units)} contributory "
            f"unit{'s' if Decimal(units) > 1 else ''}",
        }

    def followups_for(
        topic: catalogue.Topic, values: dict, day: dt.date, staff: list[str], code: str
    ) -> list[PlannedFollowUp]:
        roll = rng.random()
        count = 2 if roll < 0.1 else 1 if roll < 0.5 else 0
        planned = []
        for description in rng.sample(
            topic.follow_ups, min(count, len(topic.follow_ups))
        ):
            due = day + dt.timedelta(days=rng.randint(5, 30))
            status, done_on = FollowUp.Status.OPEN, None
            if due < today - dt.timedelta(days=14):
                roll = rng.random()
                if roll < 0.82:
                    status = FollowUp.Status.DONE
                elif roll < 0.87:
                    status = FollowUp.Status.CANCELLED
            elif due < today and rng.random() < 0.45:
                status = FollowUp.Status.DONE
            if status == FollowUp.Status.DONE:
                done_on = min(
                    today, max(day, due + dt.timedelta(days=rng.randint(-6, 4)))
                )
            planned.append(
                PlannedFollowUp(
                    fill(description, values), staff[0], due, status, done_on, code
                )
            )
        return planned

    planned: list[PlannedEngagement] = []
    kinds = list(KIND_WEIGHTS)
    kind_weights = list(KIND_WEIGHTS.values())

    # Everyday engagements.
    for _ in range(ENGAGEMENT_COUNT):
        code = rng.choices(codes, weights)[0]
        day = _weekday(start + dt.timedelta(days=rng.randint(1, HISTORY_DAYS)), today)
        kind = rng.choices(kinds, kind_weights)[0]
        topics = [t for t in all_topics if audience(code) in t.audiences]
        topic = rng.choices(topics, [t.weight for t in topics])[0]
        available = current(code, day)
        people = [a.email for a in rng.sample(available, min(len(available), 2))]
        if people and rng.random() < 0.6:
            people = people[:1]
        staff = pick_staff(code)
        values = values_for(code, day, people, staff)
        subject = fill(topic.subject, values)
        if values["short"] not in subject:
            subject = f"{subject} – {values['short']}"
        opener = fill(texts.openers.get(kind, ""), values)
        partners = [code]
        if code not in state_by_code and rng.random() < 0.12:
            partner_state = next(
                (s for s in states if s.iso3 == orgs[code].country and s.is_member),
                None,
            )
            if partner_state:
                partners.append(partner_state.code)
        planned.append(
            PlannedEngagement(
                date=day,
                kind=kind,
                subject=subject[:200],
                summary=opener + fill(rng.choice(topic.summaries), values),
                outcome=fill(rng.choice(topic.outcomes), values),
                partners=partners,
                contacts=people,
                staff=staff,
                confidential=rng.random() < (topic.confidential or 0.02),
                followups=followups_for(topic, values, day, staff, code),
            )
        )

    # Ambassadors' briefings: many missions at once.
    mission_codes = sorted(code for code in by_partner if code in state_by_code)
    for event in [e for e in past_events if e.kind == Event.Kind.BRIEFING]:
        attending = sorted(rng.sample(mission_codes, rng.randint(8, 14)))
        people = [a.email for code in attending for a in current(code, event.start)[:1]]
        topic = rng.choice(texts.briefing.topics)
        staff = sorted(rng.sample(usernames, 3))
        circulated_by = event.start + dt.timedelta(days=7)
        planned.append(
            PlannedEngagement(
                date=event.start,
                kind=Engagement.Kind.BRIEFING,
                subject=texts.briefing.subject.format(event=event.name, topic=topic)[
                    :200
                ],
                summary=texts.briefing.summary.format(
                    topic=topic, missions=len(attending)
                ),
                outcome=texts.briefing.outcome,
                partners=attending,
                contacts=people,
                staff=staff,
                event=(event.name, event.start),
                followups=[
                    PlannedFollowUp(
                        texts.briefing.follow_up,
                        staff[0],
                        circulated_by,
                        FollowUp.Status.DONE
                        if circulated_by < today
                        else FollowUp.Status.OPEN,
                        min(today, event.start + dt.timedelta(days=6))
                        if circulated_by < today
                        else None,
                        attending[0],
                    )
                ],
            )
        )

    # Bilateral meetings on the margins of the flagship events.
    for event in [e for e in past_events if e.kind != Event.Kind.BRIEFING]:
        for _ in range(rng.randint(3, 6)):
            code = rng.choices(codes, weights)[0]
            day = event.start + dt.timedelta(
                days=rng.randint(0, (event.end - event.start).days)
            )
            day = min(day, today)
            topics = [t for t in all_topics if audience(code) in t.audiences]
            topic = rng.choices(topics, [t.weight for t in topics])[0]
            available = current(code, day)
            people = [a.email for a in available[:1]]
            staff = pick_staff(code)
            values = values_for(code, day, people, staff)
            subject = texts.bilateral.subject.format(
                event=event.name, partner=values["short"]
            )
            opening = texts.bilateral.opening.format(
                contact=values["contact"], event=event.name, place=event.place
            )
            planned.append(
                PlannedEngagement(
                    date=day,
                    kind=Engagement.Kind.EVENT,
                    subject=subject[:200],
                    summary=opening + fill(rng.choice(topic.summaries), values),
                    outcome=fill(rng.choice(topic.outcomes), values),
                    partners=[code],
                    contacts=people,
                    staff=staff,
                    event=(event.name, event.start),
                    followups=followups_for(topic, values, day, staff, code),
                )
            )

    planned.sort(key=lambda e: (e.date, e.subject))
    _pin_followups(planned, today, texts.follow_ups.after_engagement)
    # One engagement per (subject, date): the natural key.
    unique: dict[tuple[str, dt.date], PlannedEngagement] = {}
    for engagement in planned:
        unique.setdefault((engagement.subject, engagement.date), engagement)
    return list(unique.values())


def _pin_followups(
    planned: list[PlannedEngagement], today: dt.date, description: str
) -> None:
    """Make sure the start page has open work: some overdue, some due soon."""
    everyday = [e for e in planned if e.kind != Engagement.Kind.BRIEFING]

    def first_followup(engagement: PlannedEngagement) -> PlannedFollowUp:
        engagement.followups = engagement.followups[:1] or [
            PlannedFollowUp(
                description,
                engagement.staff[0],
                today,
                FollowUp.Status.OPEN,
                partner=engagement.partners[0],
            )
        ]
        followup = engagement.followups[0]
        followup.status, followup.done_on = FollowUp.Status.OPEN, None
        return followup

    for offset, engagement in zip(
        (1, 2, 4, 5, 7, 9, 11, 13), everyday[-8:], strict=False
    ):
        first_followup(engagement).due = today + dt.timedelta(days=offset)
    window = [
        e
        for e in everyday
        if today - dt.timedelta(days=90) <= e.date <= today - dt.timedelta(days=25)
    ]
    for engagement in window[-8:]:
        first_followup(engagement).due = engagement.date + dt.timedelta(days=10)


def plan_partner_followups(
    rng: random.Random,
    today: dt.date,
    states: list[StateInfo],
    affiliations: list[PlannedAffiliation],
) -> list[PlannedFollowUp]:
    """To-dos that belong to a partner rather than to one engagement."""
    organisations = catalogue.organisations()
    owner_of = owners(states, catalogue.staff(), organisations)
    texts = catalogue.engagement_texts()
    rotated = sorted(
        {a.partner for a in affiliations if a.role == Role.AMBASSADOR and a.end}
    )
    planned = []
    for code in rotated[:6]:
        successor = next(
            a
            for a in affiliations
            if a.partner == code and a.role == Role.AMBASSADOR and not a.end
        )
        due = max(
            successor.start + dt.timedelta(days=30), today - dt.timedelta(days=20)
        )
        due += dt.timedelta(days=rng.randint(0, 30))
        planned.append(
            PlannedFollowUp(
                texts.follow_ups.new_ambassador,
                owner_of[code],
                due,
                FollowUp.Status.OPEN,
                partner=code,
            )
        )
    for org in organisations[:4]:
        planned.append(
            PlannedFollowUp(
                texts.follow_ups.acknowledgement.format(partner=org.name),
                owner_of[org.code],
                dt.date(today.year, 12, 15),
                FollowUp.Status.OPEN,
                partner=org.code,
            )
        )
    return planned
