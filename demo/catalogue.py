"""The demo's literals, read from the JSON files in ``demo/data/``.

People, organisations, topics, summaries, event names and the like live in data
files; the seeders hold only the logic: how many, how linked, and the
deterministic random draws. Each file's objects have the fields of one
dataclass below (a field with a default may be left out). Each function reads
its file when called and checks it, so an edited file takes effect at the next
``seed_demo``, and a file that does not fit stops the run with a message naming
the file, the entry, the field and the value.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from partners.models import Affiliation, Engagement, Event, Membership, Partner

DATA_DIR = Path(__file__).resolve().parent / "data"


class DemoDataError(ValueError):
    """A data file the seeders cannot use."""


def read(name: str) -> Any:
    """The parsed content of ``demo/data/<name>.json``."""
    path = DATA_DIR / f"{name}.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DemoDataError(f"{path}: the demo data file is missing.") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DemoDataError(
            f"{path.name}, line {error.lineno}, column {error.colno}: {error.msg}."
        ) from None


def _one_of(choices, **kwargs):
    """A field whose value (or each of whose values) is one of ``choices``; a
    dict maps what the file says to the value used."""
    return field(metadata={"choices": choices}, **kwargs)


class _Reader:
    """Builds the dataclasses of one file, saying where a value does not fit."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, where: str, message: str):
        raise DemoDataError(f"{self.file}.json, {where}: {message}.")

    def build(self, cls: type, raw: Any, where: str):
        if not isinstance(raw, dict):
            self.fail(where, f"expected an object, found {raw!r}")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - set(fields))
        if unknown:
            self.fail(
                where,
                f"unknown field {unknown[0]!r} (known: {', '.join(fields)})",
            )
        values = {}
        for name, spec in fields.items():
            if name not in raw:
                required = spec.default is dataclasses.MISSING and (
                    spec.default_factory is dataclasses.MISSING
                )
                if required:
                    self.fail(where, f"field {name!r} is missing")
                continue
            at = f"{where}, field {name!r}"
            choices = spec.metadata.get("choices")
            if choices is None:
                values[name] = self.convert(spec.type, raw[name], at)
            elif spec.type.startswith("tuple["):
                items = self.convert("tuple[str, ...]", raw[name], at)
                values[name] = tuple(self.choose(v, choices, at) for v in items)
            else:
                values[name] = self.choose(raw[name], choices, at)
        return cls(**values)

    def choose(self, value: Any, choices, at: str) -> Any:
        if not isinstance(value, str | int) or value not in choices:
            allowed = ", ".join(repr(c) for c in choices)
            self.fail(at, f"{value!r} is not one of {allowed}")
        return choices[value] if isinstance(choices, dict) else value

    def convert(self, kind: str, value: Any, at: str) -> Any:
        """``value`` as the type annotated ``kind`` (annotations are strings)."""
        if match := re.fullmatch(r"tuple\[(.+), \.\.\.\]", kind):
            if not isinstance(value, list):
                self.fail(at, f"expected a list, found {value!r}")
            return tuple(
                self.convert(match[1], item, f"{at}, item {n}")
                for n, item in enumerate(value, start=1)
            )
        if match := re.fullmatch(r"dict\[str, (.+)\]", kind):
            if not isinstance(value, dict):
                self.fail(at, f"expected an object, found {value!r}")
            return {
                key: self.convert(match[1], item, f"{at}, {key!r}")
                for key, item in value.items()
            }
        if kind in _DATACLASSES:
            return self.build(_DATACLASSES[kind], value, at)
        if kind == "dt.date":
            try:
                return dt.date.fromisoformat(value)
            except (TypeError, ValueError):
                self.fail(at, f"{value!r} is not a date (YYYY-MM-DD)")
        if kind == "Decimal":
            # In quotes, as "0.0625": a JSON number would pass through a float.
            if isinstance(value, str):
                try:
                    return Decimal(value)
                except InvalidOperation:
                    pass
            self.fail(at, f"{value!r} is not a number in quotes")
        expected = {"str": str, "int": int, "bool": bool, "float": (int, float)}[kind]
        if not isinstance(value, expected) or (
            isinstance(value, bool) and kind != "bool"
        ):
            self.fail(at, f"expected {kind}, found {value!r}")
        return value

    def records(self, cls: type, raw: Any, key: str = "") -> list:
        """A list of objects, each a ``cls``; ``key`` names them in messages."""
        if not isinstance(raw, list):
            self.fail("top level", f"expected a list, found {type(raw).__name__}")
        found = []
        for n, item in enumerate(raw, start=1):
            label = item.get(key) if key and isinstance(item, dict) else None
            found.append(
                self.build(cls, item, f"entry {n}" + (f" ({label})" if label else ""))
            )
        return found

    def by_key(self, cls: type, raw: Any, codes: set[str] | None = None) -> dict:
        """An object of objects (or of lists of objects), each a ``cls``; with
        ``codes``, its keys are organisations' codes."""
        if not isinstance(raw, dict):
            self.fail("top level", f"expected an object, found {type(raw).__name__}")
        found = {}
        for key, item in raw.items():
            if codes is not None and key not in codes:
                self.fail(repr(key), "not in organisations.json")
            if isinstance(item, list):
                found[key] = [
                    self.build(cls, one, f"{key} entry {n}")
                    for n, one in enumerate(item, start=1)
                ]
            else:
                found[key] = self.build(cls, item, repr(key))
        return found


def _load(cls: type, name: str):
    """The single object a file holds, as a ``cls``."""
    return _Reader(name).build(cls, read(name), "top level")


# --- Partners ------------------------------------------------------------------

ITU_REGIONS = ("AFR", "AMS", "ARB", "ASP", "CIS", "EUR")
PRIORITIES = {
    "high": Partner.Priority.HIGH,
    "medium": Partner.Priority.MEDIUM,
    "low": Partner.Priority.LOW,
}


@dataclass(frozen=True)
class StaffMember:
    username: str
    first_name: str
    last_name: str
    regions: tuple[str, ...] = _one_of(ITU_REGIONS)  # whose Member States they follow


def staff() -> list[StaffMember]:
    return _Reader("staff").records(StaffMember, read("staff"), "username")


def tags() -> list[str]:
    return list(_Reader("tags").convert("tuple[str, ...]", read("tags"), "top level"))


@dataclass(frozen=True)
class Organisation:
    code: str
    name: str
    category: str = _one_of(Partner.Category.values)
    country: str  # ISO3 of the headquarters
    domain: str  # of the website and of the contacts' e-mail addresses
    short_name: str = ""
    tags: tuple[str, ...] = ()
    parent: str = ""  # an organisation listed before, or GOV-<ISO3>
    priority: int = _one_of(PRIORITIES, default=Partner.Priority.MEDIUM)
    name_fr: str = ""
    notes: str = ""


def organisations() -> list[Organisation]:
    reader = _Reader("organisations")
    found = reader.records(Organisation, read("organisations"), "code")
    known_tags = set(tags())
    codes: set[str] = set()
    for n, org in enumerate(found, start=1):
        where = f"entry {n} ({org.code})"
        if org.code in codes:
            reader.fail(where, f"{org.code!r} is listed twice")
        for tag in org.tags:
            if tag not in known_tags:
                reader.fail(f"{where}, field 'tags'", f"{tag!r} is not in tags.json")
        if org.parent and org.parent not in codes and not org.parent.startswith("GOV-"):
            reader.fail(
                f"{where}, field 'parent'",
                f"{org.parent!r} is neither an organisation listed before nor a "
                "government (GOV-<ISO3>)",
            )
        codes.add(org.code)
    return found


@dataclass(frozen=True)
class OrganisationContact:
    title: str
    first_name: str
    last_name: str
    job_title: str
    role: str = _one_of(Affiliation.Role.values)
    latin_name: str = ""  # "First Last" in Latin script when the name is not
    languages: str = "English"


def organisation_contacts() -> dict[str, list[OrganisationContact]]:
    """People at each organisation (by partner code); the first is primary."""
    codes = {org.code for org in organisations()}
    raw = read("organisation_contacts")
    return _Reader("organisation_contacts").by_key(OrganisationContact, raw, codes)


@dataclass(frozen=True)
class OrganisationMembership:
    type: str = _one_of(Membership.Type.values)
    sector: str = _one_of(["", *Membership.Sector.values])
    contribution_class: Decimal
    status: str = _one_of(Membership.Status.values)


def organisation_memberships() -> dict[str, list[OrganisationMembership]]:
    """ITU memberships of the organisations (by partner code)."""
    codes = {org.code for org in organisations()}
    raw = read("organisation_memberships")
    return _Reader("organisation_memberships").by_key(
        OrganisationMembership, raw, codes
    )


@dataclass(frozen=True)
class Ambassador:
    first_name: str
    last_name: str
    gender: str = _one_of(["F", "M"])
    latin_name: str = ""  # when the name is written in another script


def ambassadors() -> dict[str, Ambassador]:
    """Ambassadors written out, by ISO3: names in their own scripts and spellings."""
    return _Reader("ambassadors").by_key(Ambassador, read("ambassadors"))


@dataclass(frozen=True)
class AmbassadorPost:
    title: str
    job_title: str
    position: str  # {country}


@dataclass(frozen=True)
class FormerAmbassador:
    job_title: str
    notes: str


@dataclass(frozen=True)
class Missions:
    always_listed: tuple[str, ...]  # ISO3 of the missions always in the demo
    ambassador: AmbassadorPost
    former_ambassador: FormerAmbassador
    counsellor: str
    attache: str
    capital_focal_points: tuple[str, ...]


def missions() -> Missions:
    return _load(Missions, "missions")


@dataclass(frozen=True)
class NamePool:
    """First and last names of one language area, and the languages spoken."""

    men: tuple[str, ...]
    women: tuple[str, ...]
    last_names: tuple[str, ...]
    languages: str
    languages_by_subregion: dict[str, str] = field(default_factory=dict)

    @property
    def first_names(self) -> list[tuple[str, str]]:
        return [(n, "M") for n in self.men] + [(n, "F") for n in self.women]


def names() -> dict[str, NamePool]:
    """Name pools by language area."""
    return _Reader("names").by_key(NamePool, read("names"))


@dataclass(frozen=True)
class NameAreas:
    """Which name pool a Member State's diplomats are drawn from (people.py)."""

    countries: dict[str, str]  # ISO3 -> name pool, before any other rule
    portuguese_speaking: tuple[str, ...]
    french_speaking: tuple[str, ...]
    english_speaking: tuple[str, ...]
    spanish_speaking_europe: tuple[str, ...]
    pacific_subregions: tuple[str, ...]


def name_areas() -> NameAreas:
    areas = _load(NameAreas, "name_areas")
    pools = names()
    for iso3, area in areas.countries.items():
        if area not in pools:
            _Reader("name_areas").fail(
                f"field 'countries', {iso3!r}", f"{area!r} is not a pool of names.json"
            )
    return areas


@dataclass(frozen=True)
class MemberStateFacts:
    contribution_classes: dict[str, str]  # of the largest contributors, by ISO3
    founding_members: tuple[str, ...]
    founded_on: dt.date
    joined_on: dict[str, dt.date]
    euro_area: tuple[str, ...]


def member_states() -> MemberStateFacts:
    return _load(MemberStateFacts, "member_states")


# --- Events and engagements ----------------------------------------------------

WEEKDAYS = {"Monday": 0, "Tuesday": 1, "Wednesday": 2, "Thursday": 3, "Friday": 4}


@dataclass(frozen=True)
class Edition:
    start: dt.date
    days: int


@dataclass(frozen=True)
class Venue:
    place: str
    country: str  # ISO3


@dataclass(frozen=True)
class EventSeries:
    """An event held every year: "<name> <year>" on the nth weekday of a month,
    unless ``dates`` gives the real start and length of a year's edition."""

    name: str
    kind: str = _one_of(Event.Kind.values)
    month: int
    weekday: int = _one_of(WEEKDAYS)  # "Monday"... in the file
    week: int  # 1 for the first such weekday of the month
    days: int
    place: str = ""
    country: str = ""
    website: str = ""
    listed_a_year_ahead: bool = False
    places_by_year: tuple[Venue, ...] = ()  # instead of place: by year modulo
    dates: dict[str, Edition] = field(default_factory=dict)  # by year


@dataclass(frozen=True)
class OneOffEvent:
    name: str
    kind: str = _one_of(Event.Kind.values)
    start: dt.date
    end: dt.date
    place: str
    country: str
    website: str = ""


@dataclass(frozen=True)
class Events:
    series: tuple[EventSeries, ...]
    one_off: tuple[OneOffEvent, ...]  # listed in the years around their date


def events() -> Events:
    return _load(Events, "events")


# Topic audiences: "gov" is every government, split into "donor" and
# "beneficiary"; "funder" is a foundation or a development bank.
AUDIENCE_GROUPS = {"gov": ("donor", "beneficiary"), "funder": ("foundation", "bank")}
AUDIENCES = (
    *("donor", "beneficiary", "agency", "company", "academia"),
    *("foundation", "bank", "un", "igo", "ngo"),
)


@dataclass(frozen=True)
class Topic:
    """What an everyday engagement is about, with texts to fill in."""

    key: str
    audiences: tuple[str, ...] = _one_of((*AUDIENCES, *AUDIENCE_GROUPS))
    subject: str
    summaries: tuple[str, ...]
    outcomes: tuple[str, ...]
    follow_ups: tuple[str, ...]
    weight: int = 2
    confidential: float = 0.0  # the share of its engagements marked confidential


def topics() -> list[Topic]:
    """The topics, their audience groups spelt out."""
    found = _Reader("topics").records(Topic, read("topics"), "key")
    return [
        dataclasses.replace(
            topic,
            audiences=tuple(
                one
                for word in topic.audiences
                for one in AUDIENCE_GROUPS.get(word, (word,))
            ),
        )
        for topic in found
    ]


@dataclass(frozen=True)
class BriefingTexts:
    topics: tuple[str, ...]
    subject: str  # {event}, {topic}
    summary: str  # {topic}, {missions}
    outcome: str
    follow_up: str


@dataclass(frozen=True)
class BilateralTexts:
    subject: str  # {event}, {partner}
    opening: str  # {contact}, {event}, {place}


@dataclass(frozen=True)
class FollowUpTexts:
    after_engagement: str
    new_ambassador: str
    acknowledgement: str  # {partner}


@dataclass(frozen=True)
class EngagementTexts:
    themes: tuple[str, ...]
    in_kind_offers: tuple[str, ...]
    openers: dict[str, str]  # engagement kind -> first words of the summary
    briefing: BriefingTexts
    bilateral: BilateralTexts
    follow_ups: FollowUpTexts


def engagement_texts() -> EngagementTexts:
    texts = _load(EngagementTexts, "engagement_texts")
    for kind in texts.openers:
        if kind not in Engagement.Kind.values:
            _Reader("engagement_texts").fail(
                "field 'openers'", f"{kind!r} is not a kind of engagement"
            )
    return texts


# --- Pledges and meetings ------------------------------------------------------


@dataclass(frozen=True)
class PledgeDonors:
    governments: dict[str, str]  # ISO3 -> the currency the government pledges in
    home_currencies: dict[str, str]  # ISO3 -> currency, for the other countries


def pledge_donors() -> PledgeDonors:
    return _load(PledgeDonors, "pledge_donors")


@dataclass(frozen=True)
class PledgeTexts:
    titles: dict[str, tuple[str, ...]]  # lever code -> titles: {year} {next} {phase}
    declined: tuple[str, ...]
    withdrawn: tuple[str, ...]
    overpaid: str
    refunded: str
    target_notes: str


def pledge_texts() -> PledgeTexts:
    return _load(PledgeTexts, "pledge_texts")


@dataclass(frozen=True)
class MeetingBrief:
    objectives: str
    talking_points: tuple[str, ...]


@dataclass(frozen=True)
class MeetingTexts:
    title: str  # {partner}
    places: tuple[str, ...]
    government: MeetingBrief
    company: MeetingBrief


def meetings() -> MeetingTexts:
    return _load(MeetingTexts, "meetings")


_DATACLASSES = {
    cls.__name__: cls
    for cls in (
        AmbassadorPost,
        FormerAmbassador,
        Edition,
        Venue,
        EventSeries,
        OneOffEvent,
        BriefingTexts,
        BilateralTexts,
        FollowUpTexts,
        MeetingBrief,
    )
}
