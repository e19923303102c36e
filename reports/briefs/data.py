"""The plain data of a printed brief: what to print, and what a pack holds.

``reports.briefs.build.brief_build`` fills these from the database; templates read
them and nothing else. Everything here is strings, numbers, dates and lists,
so a template cannot run a query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from documents.services import DocumentLine
from reports.models import PrintLog

# --------------------------------------------------------------------------
# What to print
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefRequest:
    """What a user asked to print, in a form a background task can store."""

    document: str
    partner_ids: tuple[int, ...] = ()
    meeting_ids: tuple[int, ...] = ()
    contact_id: int | None = None
    country: str = ""
    language: str = "en"

    @classmethod
    def for_partners(cls, ids: Iterable[int], language: str = "en") -> BriefRequest:
        return cls(
            PrintLog.Document.PARTNER_BRIEF,
            partner_ids=tuple(dict.fromkeys(int(i) for i in ids)),
            language=language,
        )

    @classmethod
    def for_contact(cls, contact_id: int, language: str = "en") -> BriefRequest:
        return cls(
            PrintLog.Document.CONTACT_BRIEF,
            contact_id=int(contact_id),
            language=language,
        )

    @classmethod
    def for_country(cls, iso3: str, language: str = "en") -> BriefRequest:
        return cls(
            PrintLog.Document.COUNTRY_BRIEF,
            country=iso3.strip().upper(),
            language=language,
        )

    @classmethod
    def for_meetings(cls, ids: Iterable[int], language: str = "en") -> BriefRequest:
        return cls(
            PrintLog.Document.MEETING_PACK,
            meeting_ids=tuple(dict.fromkeys(int(i) for i in ids)),
            language=language,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "partner_ids": list(self.partner_ids),
            "meeting_ids": list(self.meeting_ids),
            "contact_id": self.contact_id,
            "country": self.country,
            "language": self.language,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BriefRequest:
        return cls(
            document=data["document"],
            partner_ids=tuple(data.get("partner_ids") or ()),
            meeting_ids=tuple(data.get("meeting_ids") or ()),
            contact_id=data.get("contact_id"),
            country=data.get("country") or "",
            language=data.get("language") or "en",
        )


# --------------------------------------------------------------------------
# The data a pack holds
# --------------------------------------------------------------------------


@dataclass
class Person:
    name: str
    role: str = ""
    position: str = ""
    organisation: str = ""
    email: str = ""
    phone: str = ""
    languages: str = ""
    is_primary: bool = False
    since: dt.date | None = None
    until: dt.date | None = None


@dataclass
class MembershipLine:
    type: str
    sector: str
    class_display: str
    annual_dues_chf: Decimal
    since: dt.date | None
    until: dt.date | None
    status: str
    is_current: bool
    arrears_chf: Decimal
    arrears_as_of: dt.date | None
    arrears_years: Decimal | None
    arrears_note: str
    loses_vote: bool
    # Membership.arrears_consequence()'s label, "" when the arrears cost nothing.
    consequence: str = ""


@dataclass
class EngagementLine:
    id: int
    date: dt.date
    kind: str
    subject: str
    summary: str
    outcome: str
    confidential: bool
    event: str = ""
    event_id: int | None = None
    contacts: list[str] = field(default_factory=list)
    staff: list[str] = field(default_factory=list)
    partners: list[str] = field(default_factory=list)


@dataclass
class FollowUpLine:
    description: str
    due_date: dt.date
    assignee: str
    is_overdue: bool
    days_overdue: int
    engagement: str = ""


@dataclass
class EventLine:
    name: str
    kind: str
    start_date: dt.date
    place: str


@dataclass
class YearLine:
    year: int
    pledged_chf: Decimal
    received_chf: Decimal


@dataclass
class PledgeLine:
    title: str
    stage: str
    lever: str
    amount: Decimal
    currency: str
    amount_chf: Decimal
    received_chf: Decimal
    outstanding_chf: Decimal
    overdue_chf: Decimal
    pledged_on: dt.date | None
    next_due: dt.date | None
    is_open: bool
    is_pipeline: bool
    stage_code: str = ""


@dataclass
class Reconciliation:
    """A partner's firm pledges in CHF: pledged = received + exchange
    difference + closed short + outstanding (``sections.reconcile``)."""

    pledged_chf: Decimal = Decimal(0)
    received_chf: Decimal = Decimal(0)
    exchange_chf: Decimal = Decimal(0)
    closed_short_chf: Decimal = Decimal(0)
    outstanding_chf: Decimal = Decimal(0)

    @property
    def balances(self) -> bool:
        return self.pledged_chf == (
            self.received_chf
            + self.exchange_chf
            + self.closed_short_chf
            + self.outstanding_chf
        )


@dataclass
class MoneySummary:
    """Pledges and payments of one partner, all amounts in CHF."""

    years: list[YearLine] = field(default_factory=list)
    pledges: list[PledgeLine] = field(default_factory=list)
    total_pledged_chf: Decimal = Decimal(0)
    total_received_chf: Decimal = Decimal(0)
    outstanding_chf: Decimal = Decimal(0)
    overdue_chf: Decimal = Decimal(0)
    pipeline_chf: Decimal = Decimal(0)
    older_fulfilled: int = 0
    oldest_overdue: dt.date | None = None
    last_payment_on: dt.date | None = None
    chart_svg: str = ""
    reconciliation: Reconciliation = field(default_factory=Reconciliation)
    # Payments kept on pledges since declined or withdrawn: in the years, not
    # in the reconciliation of firm pledges.
    received_on_closed_chf: Decimal = Decimal(0)

    @property
    def is_empty(self) -> bool:
        return not (self.pledges or self.years or self.older_fulfilled)


@dataclass
class PartnerBrief:
    id: int
    anchor: str
    name: str
    other_name: str
    short_name: str
    category: str
    country: str
    country_other_name: str
    region: str
    parent: str
    owner: str
    priority: str
    website: str
    tags: list[str]
    is_active: bool
    memberships: list[MembershipLine] = field(default_factory=list)
    contacts: list[Person] = field(default_factory=list)
    former_contacts: list[Person] = field(default_factory=list)
    engagements: list[EngagementLine] = field(default_factory=list)
    earlier_engagements: int = 0
    followups: list[FollowUpLine] = field(default_factory=list)
    events: list[EventLine] = field(default_factory=list)
    money: MoneySummary = field(default_factory=MoneySummary)
    documents: list[DocumentLine] = field(default_factory=list)
    key_points: list[str] = field(default_factory=list)

    @property
    def has_history(self) -> bool:
        return bool(
            self.contacts
            or self.former_contacts
            or self.engagements
            or self.followups
            or self.documents
            or not self.money.is_empty
        )

    @property
    def overdue_followups(self) -> int:
        return sum(1 for f in self.followups if f.is_overdue)


@dataclass
class GlanceRow:
    """One partner on a meeting's first page: where things stand, and the ask."""

    anchor: str
    name: str
    membership: str
    stage: str
    received_chf: Decimal
    outstanding_chf: Decimal
    overdue_chf: Decimal
    last_contact: EngagementLine | None
    ask: str
    ask_is_default: bool


@dataclass
class MeetingInfo:
    id: int
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    place: str
    counterparts: list[Person]
    staff: list[str]
    partners: list[str]
    partner_ids: list[int]
    objectives: str
    talking_points: list[str]
    # Typed asks by partner id; the others get the default one.
    asks: dict[int, str] = field(default_factory=dict)
    glance: list[GlanceRow] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"meeting-{self.id}"


@dataclass
class ContactInfo:
    person: Person
    job_title: str
    roles: list[Person]
    former_roles: list[Person]
    engagements: list[EngagementLine]
    earlier_engagements: int


@dataclass
class CountryRow:
    anchor: str
    name: str
    membership: str
    dues_chf: Decimal | None
    received_chf: Decimal
    outstanding_chf: Decimal


@dataclass
class CountryInfo:
    iso3: str
    name: str
    other_name: str
    formal_name: str
    region: str
    income_group: str
    is_ldc: bool
    is_member_state: bool
    rows: list[CountryRow]


@dataclass
class Pack:
    document: str
    title: str
    subtitle: str
    filename: str
    language: str
    generated_at: dt.datetime
    generated_by: str
    includes_confidential: bool
    briefs: list[PartnerBrief]
    meetings: list[MeetingInfo] = field(default_factory=list)
    contact: ContactInfo | None = None
    country: CountryInfo | None = None
    annex: list[EngagementLine] = field(default_factory=list)

    @property
    def partner_ids(self) -> list[int]:
        return [b.id for b in self.briefs]

    @property
    def marking(self) -> str:
        if self.includes_confidential:
            return _("Confidential")
        return _("For internal use only")

    @property
    def has_cover(self) -> bool:
        return bool(self.meetings or self.country or len(self.briefs) > 1)

    @property
    def has_toc(self) -> bool:
        """The contents go on the cover, with page numbers."""
        return self.has_cover and bool(self.briefs or self.annex)

    @property
    def estimated_pages(self) -> int:
        """A rough page count, to decide before layout whether to go background.

        Calibrated on the demo data: a brief with a history takes about two
        pages, an annex about ten engagements a page.
        """
        pages = 1 if self.has_cover else 0
        pages += (len(self.meetings) + 1) // 2
        for brief in self.briefs:
            if not brief.has_history:
                pages += 1
                continue
            rows = (
                len(brief.engagements) * 2
                + len(brief.followups)
                + len(brief.contacts)
                + len(brief.money.pledges) * 2
            )
            pages += 1 + (rows + 20) // 30
        return pages + (len(self.annex) + 9) // 10
