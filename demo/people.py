"""Who the demo is about: the Member States, the task-force staff who follow
them, and the people at partner organisations and Permanent Missions.

The plan is made in memory from the random generator, ``today`` and the data
files (``demo.catalogue``); ``demo.partners`` writes it.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils.text import slugify

from crm.lib.names import strip_accents
from demo import catalogue
from partners.models import Affiliation, Partner

Role = Affiliation.Role

MISSION_COUNT = 60  # Permanent Missions with people in the demo
ROTATED_MISSIONS = 12  # of which the ambassador changed: the predecessor stays
LATIN_NAME_NOTE = "Name in Latin script: {name}."


@dataclass(frozen=True)
class StateInfo:
    """What the plan needs to know about a Member State (or Palestine)."""

    code: str
    iso3: str
    iso2: str
    name: str
    region: str
    subregion: str
    income: str
    is_ldc: bool
    is_member: bool


@dataclass
class PlannedContact:
    email: str
    title: str
    first: str
    last: str
    job_title: str
    languages: str
    phone: str = ""
    notes: str = ""

    @property
    def display(self) -> str:
        return " ".join(p for p in (self.title, self.first, self.last) if p)


@dataclass
class PlannedAffiliation:
    email: str
    partner: str  # partner code
    role: str
    position: str
    primary: bool
    start: dt.date | None
    end: dt.date | None = None

    def active_on(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (
            self.end is None or self.end >= day
        )


def member_states() -> list[StateInfo]:
    """The government partners ``seed_reference`` made, by partner code."""
    governments = (
        Partner.objects.filter(code__startswith="GOV-", country__isnull=False)
        .select_related("country")
        .order_by("code")
    )
    return [
        StateInfo(
            code=p.code,
            iso3=p.country.iso3,
            iso2=p.country.iso2,
            name=p.country.name_en,
            region=p.country.itu_region,
            subregion=p.country.m49_subregion,
            income=p.country.income_group,
            is_ldc=p.country.is_ldc,
            is_member=p.country.is_itu_member_state,
        )
        for p in governments
    ]


def owners(
    states: list[StateInfo],
    staff: list[catalogue.StaffMember],
    organisations: list[catalogue.Organisation],
) -> dict[str, str]:
    """Relationship owner (username) by partner code: Member States by region,
    organisations in turn."""
    by_region = {
        region: member.username for member in staff for region in member.regions
    }
    found = {state.code: by_region[state.region] for state in states}
    for index, organisation in enumerate(organisations):
        found[organisation.code] = staff[index % len(staff)].username
    return found


# --- Names -----------------------------------------------------------------------


def _ascii(text: str) -> str:
    return slugify(strip_accents(text)).replace("-", "")


def _email(first: str, last: str, domain: str, taken: set[str]) -> str:
    local = ".".join(p for p in (_ascii(first), _ascii(last)) if p) or "contact"
    email, n = f"{local}@{domain}", 2
    while email in taken:
        email, n = f"{local}{n}@{domain}", n + 1
    taken.add(email)
    return email


def _name_area(state: StateInfo, areas: catalogue.NameAreas) -> str:
    """The pool of names a Member State's diplomats are drawn from."""
    if state.iso3 in areas.countries:
        return areas.countries[state.iso3]
    if state.region == "ARB":
        return "ar"
    if state.region == "CIS":
        return "cis"
    if state.iso3 in areas.portuguese_speaking:
        return "pt"
    if state.iso3 in areas.french_speaking:
        return "fr"
    if state.iso3 in areas.english_speaking:
        return "en"
    if state.region == "AFR":
        return "en_africa"
    if state.region == "AMS" or state.iso3 in areas.spanish_speaking_europe:
        return "es"
    if state.region == "ASP":
        if state.subregion in areas.pacific_subregions:
            return "pacific"
        return "south_asia" if state.subregion == "Southern Asia" else "se_asia"
    return "eur"


def _languages(state: StateInfo, pool: catalogue.NamePool) -> str:
    return pool.languages_by_subregion.get(state.subregion, pool.languages)


def _person(
    rng: random.Random, area: str, pools: dict[str, catalogue.NamePool], used: set
) -> tuple[str, str, str]:
    pool = pools[area]
    for _ in range(50):
        first, gender = rng.choice(pool.first_names)
        last = rng.choice(pool.last_names)
        if gender == "F" and last.endswith(("ov", "ev")):
            last += "a"
        if (first, last) not in used:
            used.add((first, last))
            return first, last, gender
    raise RuntimeError(f"Name pool {area!r} exhausted.")


# --- Planning --------------------------------------------------------------------


def plan_people(
    rng: random.Random, today: dt.date, states: list[StateInfo]
) -> tuple[dict[str, PlannedContact], list[PlannedAffiliation]]:
    """Contacts at the organisations and at some sixty Permanent Missions, with
    their affiliations; a few ambassadors have a predecessor on record."""
    contacts: dict[str, PlannedContact] = {}
    affiliations: list[PlannedAffiliation] = []
    taken: set[str] = set()
    used: set[tuple[str, str]] = set()
    people = catalogue.organisation_contacts()
    missions = catalogue.missions()
    ambassadors = catalogue.ambassadors()
    pools = catalogue.names()
    areas = catalogue.name_areas()

    def add_contact(**values) -> PlannedContact:
        contact = PlannedContact(**values)
        contacts[contact.email] = contact
        return contact

    def days_ago(low: int, high: int) -> dt.date:
        return today - dt.timedelta(days=rng.randint(low, high))

    # Partner organisations.
    for organisation in catalogue.organisations():
        for index, person in enumerate(people.get(organisation.code, [])):
            latin_first, _, latin_last = (person.latin_name or "").partition(" ")
            email = _email(
                latin_first or person.first_name,
                latin_last or person.last_name,
                organisation.domain,
                taken,
            )
            add_contact(
                email=email,
                title=person.title,
                first=person.first_name,
                last=person.last_name,
                job_title=person.job_title,
                languages=person.languages,
                notes=LATIN_NAME_NOTE.format(name=person.latin_name)
                if person.latin_name
                else "",
            )
            affiliations.append(
                PlannedAffiliation(
                    email,
                    organisation.code,
                    person.role,
                    person.job_title,
                    index == 0,
                    days_ago(120, 2600),
                )
            )

    # Permanent Missions in Geneva.
    members = [s for s in states if s.is_member]
    by_iso3 = {s.iso3: s for s in members}
    always = list(missions.always_listed)
    others = sorted(set(by_iso3) - set(always))
    chosen = always + sorted(rng.sample(others, MISSION_COUNT - len(always)))
    rotated = set(rng.sample(chosen, ROTATED_MISSIONS))
    for iso3 in chosen:
        state = by_iso3[iso3]
        area = _name_area(state, areas)
        domain = f"mission-{iso3.lower()}.example"
        phone_base = f"+41 22 {rng.randint(700, 799)} {rng.randint(10, 99)} "
        languages = _languages(state, pools[area])
        if iso3 in ambassadors:
            named = ambassadors[iso3]
            first, last, gender, latin = (
                named.first_name,
                named.last_name,
                named.gender,
                named.latin_name,
            )
            used.add((first, last))
        else:
            (first, last, gender), latin = _person(rng, area, pools, used), ""
        latin_first, _, latin_last = latin.rpartition(" ") if latin else ("", "", "")
        if latin and not first:  # Chinese: family name first, in one field
            latin_last, _, latin_first = latin.partition(" ")
        start = days_ago(60, 1400)
        position = missions.ambassador.position.format(country=state.name)
        email = _email(latin_first or first, latin_last or last, domain, taken)
        add_contact(
            email=email,
            title=missions.ambassador.title,
            first=first,
            last=last,
            job_title=missions.ambassador.job_title,
            languages=languages,
            phone=phone_base + "00",
            notes=(
                LATIN_NAME_NOTE.format(
                    name=f"{'Ms' if gender == 'F' else 'Mr'} {latin}"
                )
                if latin
                else ""
            ),
        )
        affiliations.append(
            PlannedAffiliation(
                email, state.code, Role.AMBASSADOR, position, True, start
            )
        )
        if iso3 in rotated:
            p_first, p_last, _gender = _person(rng, area, pools, used)
            p_email = _email(p_first, p_last, domain, taken)
            add_contact(
                email=p_email,
                title=missions.ambassador.title,
                first=p_first,
                last=p_last,
                job_title=missions.former_ambassador.job_title,
                languages=languages,
                notes=missions.former_ambassador.notes,
            )
            affiliations.append(
                PlannedAffiliation(
                    p_email,
                    state.code,
                    Role.AMBASSADOR,
                    position,
                    False,
                    start - dt.timedelta(days=rng.randint(1100, 1600)),
                    start - dt.timedelta(days=rng.randint(1, 30)),
                )
            )
        roll = rng.random()
        if roll < 0.6:
            c_first, c_last, c_gender = _person(rng, area, pools, used)
            attache = rng.random() < 0.3
            position = missions.attache if attache else missions.counsellor
            c_email = _email(c_first, c_last, domain, taken)
            add_contact(
                email=c_email,
                title="Ms" if c_gender == "F" else "Mr",
                first=c_first,
                last=c_last,
                job_title=position,
                languages=languages,
                phone=phone_base + f"{rng.randint(10, 99)}",
            )
            affiliations.append(
                PlannedAffiliation(
                    c_email,
                    state.code,
                    Role.ATTACHE if attache else Role.COUNSELLOR,
                    position,
                    False,
                    days_ago(30, 1200),
                )
            )
        if roll > 0.75:
            f_first, f_last, f_gender = _person(rng, area, pools, used)
            position = rng.choice(missions.capital_focal_points)
            f_email = _email(f_first, f_last, f"gov-{iso3.lower()}.example", taken)
            add_contact(
                email=f_email,
                title=rng.choice(["Dr", "Ms" if f_gender == "F" else "Mr"]),
                first=f_first,
                last=f_last,
                job_title=position,
                languages=languages,
            )
            affiliations.append(
                PlannedAffiliation(
                    f_email,
                    state.code,
                    Role.FOCAL_POINT,
                    position,
                    False,
                    days_ago(90, 1800),
                )
            )
    return contacts, affiliations
