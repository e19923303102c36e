"""Briefs and briefing packs: build the data, render it, log the print.

``brief_build`` returns a ``Pack``: dataclasses holding strings, numbers and
dates, nothing lazy, so templates run no queries. Each kind of row (partners,
memberships, contacts, engagements, follow-ups, pledges, payments) is fetched
for all the partners of a document at once, so the number of queries depends
on neither the number of partners nor the length of their histories.

``brief_print`` is the one way to print: admin views, the ``brief`` command
and the background task call it, and it writes the print log.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max, Min, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.lib.pdf import PDF_CONTENT_TYPE, render_pdf_document
from crm.models import Country
from partners.models import (
    Affiliation,
    Contact,
    Engagement,
    FollowUp,
    Membership,
    Partner,
)
from reports.briefs import (
    BriefRequest,
    ContactInfo,
    CountryInfo,
    CountryRow,
    EngagementLine,
    EventLine,
    FollowUpLine,
    MeetingInfo,
    MembershipLine,
    MoneySummary,
    Pack,
    PartnerBrief,
    Person,
    PledgeLine,
    YearLine,
)
from reports.charts import pledge_chart
from reports.models import Meeting, PrintLog
from reports.templatetags.briefs import chf

Document = tuple[str, str, bytes]

PRINT_PERMISSION = "reports.print_brief"
TEMPLATE = "reports/pdf/pack.html"
CENT = Decimal("0.01")
CHART_YEARS = 8
# Fulfilled pledges older than this many years are counted, not listed.
RECENT_FULFILLED_YEARS = 3
# Contacts whose affiliation ended within this many days show as "left recently".
RECENTLY_LEFT_DAYS = 365


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def brief_engagement_limit() -> int:
    """Engagements shown in a partner's brief; the rest go to the annex."""
    return _setting("REPORTS_BRIEF_ENGAGEMENTS", 8)


def background_partner_limit() -> int:
    """Packs with more partners than this are printed in the background."""
    return _setting("REPORTS_BACKGROUND_PARTNERS", 20)


def background_page_limit() -> int:
    """Packs estimated longer than this are printed in the background."""
    return _setting("REPORTS_BACKGROUND_PAGES", 50)


# --------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------


def _name_of_user(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _long_date(value: dt.date) -> str:
    return date_format(value, "j F Y")


def _whole_chf(amount: Decimal) -> str:
    return chf(amount)


def _is_french() -> bool:
    return translation.get_language().startswith("fr")


def _person_name(contact: Contact) -> str:
    return str(contact)


def _person(affiliation: Affiliation, *, organisation: str = "") -> Person:
    contact = affiliation.contact
    return Person(
        name=_person_name(contact),
        role=affiliation.get_role_display(),
        position=affiliation.position or contact.job_title,
        organisation=organisation,
        email=contact.email,
        phone=contact.phone,
        languages=contact.languages,
        is_primary=affiliation.is_primary,
        since=affiliation.start_date,
        until=affiliation.end_date,
    )


def _membership_lines(
    partner_ids: Sequence[int], today: dt.date
) -> dict[int, list[MembershipLine]]:
    lines: dict[int, list[MembershipLine]] = defaultdict(list)
    memberships = (
        Membership.objects.filter(partner_id__in=partner_ids)
        .with_arrears_consequence(today.year)
        .order_by("partner_id", "end_date", "type", "sector")
    )
    for m in memberships:
        dues = m.annual_dues_chf(today.year, member_state_unit=m.member_state_unit_chf)
        is_current = m.status != m.Status.ENDED and (
            m.end_date is None or m.end_date >= today
        )
        years = (m.arrears_chf / dues).quantize(Decimal("0.1")) if dues else None
        consequence = m.arrears_consequence()
        lines[m.partner_id].append(
            MembershipLine(
                type=m.get_type_display(),
                sector=m.sector,
                class_display=m.class_display,
                annual_dues_chf=dues,
                since=m.start_date,
                until=m.end_date,
                status=m.get_status_display(),
                is_current=is_current,
                arrears_chf=m.arrears_chf,
                arrears_as_of=m.arrears_as_of,
                arrears_years=years if m.arrears_chf else None,
                arrears_note=_arrears_note(m, years, consequence),
                loses_vote=consequence == m.ArrearsConsequence.VOTE_LOST,
                consequence=""
                if consequence == m.ArrearsConsequence.NONE
                else str(consequence.label),
            )
        )
    for items in lines.values():
        items.sort(key=lambda line: not line.is_current)
    return lines


def _arrears_note(
    m: Membership, years: Decimal | None, consequence: Membership.ArrearsConsequence
) -> str:
    """The arrears line of the brief; the consequence is the membership's rule."""
    outcome = Membership.ArrearsConsequence
    if consequence == outcome.SUSPENDED:
        return _("The membership is suspended.")
    if not m.arrears_chf:
        return _("No arrears.")
    if years is None:
        return ""
    params = {"years": years}
    if consequence == outcome.VOTE_LOST:
        return (
            _(
                "Arrears equal %(years)s years of contributions: under article 28 "
                "of the ITU Constitution a Member State whose arrears reach two "
                "years of contributions loses its right to vote until they are "
                "paid down."
            )
            % params
        )
    if consequence == outcome.LIABLE_TO_SUSPENSION:
        return (
            _(
                "Arrears equal %(years)s years of contributions: the member is "
                "liable to suspension."
            )
            % params
        )
    if m.type == m.Type.MEMBER_STATE:
        return (
            _(
                "Arrears equal %(years)s years of contributions; at two years a "
                "Member State loses its right to vote (ITU Constitution, art. 28)."
            )
            % params
        )
    return _("Arrears equal %(years)s years of contributions.") % params


def _contacts(
    partner_ids: Sequence[int], today: dt.date
) -> tuple[dict[int, list[Person]], dict[int, list[Person]]]:
    current: dict[int, list[Person]] = defaultdict(list)
    former: dict[int, list[Person]] = defaultdict(list)
    left_since = today - dt.timedelta(days=RECENTLY_LEFT_DAYS)
    affiliations = (
        Affiliation.objects.filter(partner_id__in=partner_ids)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=left_since))
        .select_related("contact")
    )
    for a in affiliations:
        if a.end_date is None or a.end_date >= today:
            current[a.partner_id].append(_person(a))
        else:
            former[a.partner_id].append(_person(a))
    role_rank = {label: i for i, label in enumerate(Affiliation.Role.labels)}
    for people in current.values():
        people.sort(key=lambda p: (not p.is_primary, role_rank.get(p.role, 99), p.name))
    for people in former.values():
        people.sort(key=lambda p: p.until or today, reverse=True)
    return current, former


def _engagements(
    partner_ids: Sequence[int], user
) -> tuple[dict[int, list[EngagementLine]], list[EngagementLine], dict[int, EventLine]]:
    """Every visible engagement of the partners, newest first, in four queries.

    Returns the lines per partner, all lines, and the events they took place at.
    """
    visible = Engagement.objects.visible_to(user).filter(partners__in=partner_ids)
    through = Engagement.partners.through
    links = (
        through.objects.filter(partner_id__in=partner_ids, engagement__in=visible)
        .select_related("engagement__event")
        .order_by("-engagement__date", "-engagement__created_at", "-engagement_id")
    )
    lines: dict[int, EngagementLine] = {}
    events: dict[int, EventLine] = {}
    by_partner: dict[int, list[EngagementLine]] = defaultdict(list)
    for link in links:
        e = link.engagement
        line = lines.get(e.pk)
        if line is None:
            line = lines[e.pk] = EngagementLine(
                id=e.pk,
                date=e.date,
                kind=e.get_kind_display(),
                subject=e.subject,
                summary=e.summary,
                outcome=e.outcome,
                confidential=e.confidential,
                event=e.event.name if e.event else "",
                event_id=e.event_id,
            )
            if e.event and e.event_id not in events:
                events[e.event_id] = EventLine(
                    name=e.event.name,
                    kind=e.event.get_kind_display(),
                    start_date=e.event.start_date,
                    place=e.event.place,
                )
        by_partner[link.partner_id].append(line)
    if not lines:
        return by_partner, [], events
    ids = visible.values("pk")
    for row in (
        Engagement.contacts.through.objects.filter(engagement__in=ids)
        .select_related("contact")
        .order_by("contact__last_name", "contact__first_name")
    ):
        if row.engagement_id in lines:
            lines[row.engagement_id].contacts.append(_person_name(row.contact))
    for row in (
        Engagement.staff.through.objects.filter(engagement__in=ids)
        .select_related("user")
        .order_by("user__last_name", "user__username")
    ):
        if row.engagement_id in lines:
            lines[row.engagement_id].staff.append(_name_of_user(row.user))
    for row in (
        through.objects.filter(engagement__in=ids)
        .select_related("partner")
        .order_by("partner__name")
    ):
        if row.engagement_id in lines:
            lines[row.engagement_id].partners.append(row.partner.name)
    for line in lines.values():
        line.contacts = list(dict.fromkeys(line.contacts))
        line.staff = list(dict.fromkeys(line.staff))
        line.partners = list(dict.fromkeys(line.partners))
    ordered = sorted(lines.values(), key=lambda x: (x.date, x.id), reverse=True)
    return by_partner, ordered, events


def _events_of(
    lines: Iterable[EngagementLine], events: dict[int, EventLine]
) -> list[EventLine]:
    ids = dict.fromkeys(line.event_id for line in lines if line.event_id)
    return sorted((events[pk] for pk in ids), key=lambda e: e.start_date, reverse=True)


def _followups(
    partner_ids: Sequence[int],
    user,
    today: dt.date,
    engagement_partners: dict[int, set[int]],
) -> dict[int, list[FollowUpLine]]:
    """Open follow-ups of each partner: its own and those of its engagements."""
    result: dict[int, list[FollowUpLine]] = defaultdict(list)
    engagements = Engagement.objects.visible_to(user).filter(partners__in=partner_ids)
    followups = (
        FollowUp.objects.visible_to(user)
        .open()
        .filter(Q(partner_id__in=partner_ids) | Q(engagement__in=engagements))
        .select_related("assignee", "engagement")
        .order_by("due_date", "pk")
        .distinct()
    )
    wanted = set(partner_ids)
    for f in followups:
        overdue = f.due_date < today
        line = FollowUpLine(
            description=f.description,
            due_date=f.due_date,
            assignee=_name_of_user(f.assignee),
            is_overdue=overdue,
            days_overdue=(today - f.due_date).days if overdue else 0,
            engagement=f.engagement.subject if f.engagement else "",
        )
        owners = set(engagement_partners.get(f.engagement_id, ()))
        if f.partner_id in wanted:
            owners.add(f.partner_id)
        for pk in owners:
            result[pk].append(line)
    # Sorted by due date, so overdue ones (due before today) already come first.
    return result


def _money_summaries(
    partner_ids: Sequence[int], today: dt.date
) -> dict[int, MoneySummary]:
    """Pledges, payments by year, outstanding and overdue CHF, in three queries.

    Pledged amounts count firm pledges (pledged, signed, fulfilled) in the year
    they were pledged; received amounts count payments, refunds deducted, in the
    year they arrived, at the CHF rate of their own date. Outstanding is what
    firm pledges still owe; overdue, the part of it whose installments fell due
    before today (CHF at the pledge's rate, as the pledges app computes it).
    """
    from pledges.models import Installment, Payment, Pledge

    pledges = (
        Pledge.objects.filter(partner_id__in=partner_ids)
        .with_figures(today)
        .select_related("lever")
        .order_by("partner_id", "-pledged_on", "-created_at", "-pk")
    )
    summaries: dict[int, MoneySummary] = defaultdict(MoneySummary)
    pledged_by_year: dict[int, dict[int, Decimal]] = defaultdict(
        lambda: defaultdict(Decimal)
    )
    recent = today.year - RECENT_FULFILLED_YEARS
    for p in pledges:
        summary = summaries[p.partner_id]
        if p.stage in Pledge.Stage.CLOSED:
            continue
        committed = p.stage in Pledge.Stage.COMMITTED
        overdue_chf = (p.overdue_amount * p.chf_rate).quantize(CENT)
        if p.stage == Pledge.Stage.FULFILLED and (
            p.pledged_on is None or p.pledged_on.year < recent
        ):
            summary.older_fulfilled += 1
        else:
            summary.pledges.append(
                PledgeLine(
                    title=p.title,
                    stage=p.get_stage_display(),
                    lever=p.lever.name,
                    amount=p.amount,
                    currency=p.currency,
                    amount_chf=p.amount_chf,
                    received_chf=p.received_chf,
                    outstanding_chf=p.outstanding_chf if committed else Decimal(0),
                    overdue_chf=overdue_chf,
                    pledged_on=p.pledged_on,
                    next_due=p.next_due_on if committed else None,
                    is_open=p.stage in Pledge.Stage.OPEN,
                    is_pipeline=p.stage in Pledge.Stage.PIPELINE,
                )
            )
        if p.stage in Pledge.Stage.PAYABLE and p.pledged_on:
            pledged_by_year[p.partner_id][p.pledged_on.year] += p.amount_chf
            summary.total_pledged_chf += p.amount_chf
        if committed:
            summary.outstanding_chf += p.outstanding_chf
            summary.overdue_chf += overdue_chf
        elif p.stage in Pledge.Stage.PIPELINE:
            summary.pipeline_chf += p.amount_chf
    received_by_year: dict[int, dict[int, Decimal]] = defaultdict(dict)
    payments = (
        Payment.objects.filter(pledge__partner_id__in=partner_ids)
        .annotate(year=ExtractYear("received_on"))
        .values("pledge__partner_id", "year")
        .annotate(total=Sum("amount_chf"), last=Max("received_on"))
        .order_by()
    )
    for row in payments:
        pk = row["pledge__partner_id"]
        summary = summaries[pk]
        received_by_year[pk][row["year"]] = row["total"]
        summary.total_received_chf += row["total"]
        if summary.last_payment_on is None or row["last"] > summary.last_payment_on:
            summary.last_payment_on = row["last"]
    oldest = (
        Installment.objects.filter(pledge__partner_id__in=partner_ids)
        .overdue(today)
        .values("pledge__partner_id")
        .annotate(oldest=Min("due_date"))
        .order_by()
    )
    for row in oldest:
        summaries[row["pledge__partner_id"]].oldest_overdue = row["oldest"]
    for pk, summary in summaries.items():
        years = sorted(set(pledged_by_year[pk]) | set(received_by_year[pk]))
        summary.years = [
            YearLine(
                year=year,
                pledged_chf=pledged_by_year[pk].get(year, Decimal(0)),
                received_chf=received_by_year[pk].get(year, Decimal(0)),
            )
            for year in years
        ]
        summary.chart_svg = pledge_chart(summary.years[-CHART_YEARS:])
    return dict(summaries)


def _key_points(brief: PartnerBrief, today: dt.date) -> list[str]:
    """What someone walking into the meeting should not miss."""
    points: list[str] = []
    for m in brief.memberships:
        if not m.is_current:
            continue
        point = []
        if m.arrears_chf:
            point.append(
                _("Arrears of %(amount)s (%(years)s years of contributions).")
                % {"amount": _whole_chf(m.arrears_chf), "years": m.arrears_years}
            )
        if m.loses_vote:
            point.append(_("The Member State has lost its right to vote."))
        elif m.consequence:
            point.append(
                _("Membership: %(consequence)s.") % {"consequence": m.consequence}
            )
        if point:
            points.append(" ".join(point))
    money = brief.money
    if money.overdue_chf > 0:
        points.append(
            _("%(amount)s overdue on pledges, the oldest since %(date)s.")
            % {
                "amount": _whole_chf(money.overdue_chf),
                "date": _long_date(money.oldest_overdue)
                if money.oldest_overdue
                else "",
            }
        )
    if money.outstanding_chf > 0:
        points.append(
            _("%(amount)s pledged and not yet received.")
            % {"amount": _whole_chf(money.outstanding_chf)}
        )
    if brief.overdue_followups:
        oldest = brief.followups[0]
        points.append(
            ngettext(
                "%(count)d follow-up overdue: %(what)s (due %(date)s).",
                "%(count)d follow-ups overdue, the oldest: %(what)s (due %(date)s).",
                brief.overdue_followups,
            )
            % {
                "count": brief.overdue_followups,
                "what": oldest.description,
                "date": _long_date(oldest.due_date),
            }
        )
    new_since = today - dt.timedelta(days=RECENTLY_LEFT_DAYS)
    for person in brief.contacts:
        if (
            person.role == Affiliation.Role.AMBASSADOR.label
            and person.since
            and person.since >= new_since
        ):
            points.append(
                _("%(name)s has been in post since %(date)s.")
                % {"name": person.name, "date": _long_date(person.since)}
            )
    if brief.engagements:
        last = brief.engagements[0]
        points.append(
            _("Last contact: %(date)s, %(kind)s: %(subject)s.")
            % {
                "date": _long_date(last.date),
                "kind": last.kind.lower(),
                "subject": last.subject,
            }
        )
    else:
        points.append(_("No contact with this partner is recorded."))
    return points


def _partner_briefs(
    partner_ids: Sequence[int], user, today: dt.date
) -> tuple[list[PartnerBrief], list[EngagementLine]]:
    """Briefs for ``partner_ids`` in that order, and all their engagements."""
    partners = {
        p.pk: p
        for p in Partner.objects.filter(pk__in=partner_ids)
        .select_related("country", "parent", "owner")
        .prefetch_related("tags")
    }
    missing = [pk for pk in partner_ids if pk not in partners]
    if missing:
        raise ValidationError(
            _("No partner with id %(ids)s.")
            % {"ids": ", ".join(str(pk) for pk in missing)},
            code="unknown_partner",
        )
    ids = list(partner_ids)
    memberships = _membership_lines(ids, today)
    current, former = _contacts(ids, today)
    engagements, all_lines, events = _engagements(ids, user)
    engagement_partners: dict[int, set[int]] = defaultdict(set)
    for pk, lines in engagements.items():
        for line in lines:
            engagement_partners[line.id].add(pk)
    followups = _followups(ids, user, today, engagement_partners)
    money = _money_summaries(ids, today)
    limit = brief_engagement_limit()
    french = _is_french()
    briefs = []
    for pk in ids:
        p = partners[pk]
        names = [p.name, p.name_fr or ""]
        country_names = (
            [p.country.name_en, p.country.name_fr] if p.country else ["", ""]
        )
        if french:
            names = [p.name_fr or p.name, p.name if p.name_fr else ""]
            country_names.reverse()
        lines = engagements.get(pk, [])
        brief = PartnerBrief(
            id=pk,
            anchor=f"partner-{pk}",
            name=names[0],
            other_name=names[1] if names[1] != names[0] else "",
            short_name=p.short_name,
            category=p.get_category_display(),
            country=country_names[0],
            country_other_name=country_names[1],
            region=p.country.get_itu_region_display() if p.country else "",
            parent=p.parent.name if p.parent else "",
            owner=_name_of_user(p.owner),
            priority=p.get_priority_display(),
            website=p.website,
            tags=[t.name for t in p.tags.all()],
            is_active=p.is_active,
            memberships=memberships.get(pk, []),
            contacts=current.get(pk, []),
            former_contacts=former.get(pk, []),
            engagements=lines[:limit],
            earlier_engagements=max(0, len(lines) - limit),
            followups=followups.get(pk, []),
            events=_events_of(lines, events),
            money=money.get(pk) or MoneySummary(),
        )
        brief.key_points = _key_points(brief, today)
        briefs.append(brief)
    return briefs, all_lines


def _meetings(meeting_ids: Sequence[int], today: dt.date) -> list[MeetingInfo]:
    meetings = list(
        Meeting.objects.filter(pk__in=meeting_ids)
        .order_by("starts_at", "pk")
        .prefetch_related("partners", "staff", "counterparts__affiliations__partner")
    )
    missing = set(meeting_ids) - {m.pk for m in meetings}
    if missing:
        raise ValidationError(
            _("No meeting with id %(ids)s.")
            % {"ids": ", ".join(str(pk) for pk in sorted(missing))},
            code="unknown_meeting",
        )
    result = []
    for m in meetings:
        partners = sorted(m.partners.all(), key=lambda p: (p.name, p.pk))
        covered = {p.pk for p in partners}
        counterparts = []
        for c in sorted(m.counterparts.all(), key=lambda c: (c.last_name, c.pk)):
            current = [
                a
                for a in c.affiliations.all()
                if a.end_date is None or a.end_date >= today
            ]
            # The role at a partner the meeting covers says most.
            current.sort(key=lambda a: (a.partner_id not in covered, not a.is_primary))
            if current:
                counterparts.append(
                    _person(current[0], organisation=current[0].partner.name)
                )
            else:
                counterparts.append(Person(name=str(c), position=c.job_title))
        result.append(
            MeetingInfo(
                id=m.pk,
                title=m.title,
                starts_at=m.starts_at,
                ends_at=m.ends_at,
                place=m.place,
                counterparts=counterparts,
                staff=sorted(_name_of_user(u) for u in m.staff.all()),
                partners=[p.name for p in partners],
                partner_ids=[p.pk for p in partners],
                objectives=m.objectives,
                talking_points=m.talking_point_list,
            )
        )
    return result


def _contact_info(contact_id: int, user, today: dt.date) -> tuple[ContactInfo, list]:
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise ValidationError(
            _("No contact with id %(id)s.") % {"id": contact_id},
            code="unknown_contact",
        )
    roles, former = [], []
    partner_ids: list[int] = []
    for a in contact.affiliations.select_related("partner", "contact").order_by(
        "-is_primary", "-start_date"
    ):
        person = _person(a, organisation=a.partner.name)
        if a.end_date is None or a.end_date >= today:
            roles.append(person)
            partner_ids.append(a.partner_id)
        else:
            former.append(person)
    limit = brief_engagement_limit()
    engagements = Engagement.objects.visible_to(user).filter(contacts=contact)
    total = engagements.count()
    lines = []
    for e in engagements.select_related("event").prefetch_related(
        "contacts", "staff", "partners"
    )[:limit]:
        lines.append(
            EngagementLine(
                id=e.pk,
                date=e.date,
                kind=e.get_kind_display(),
                subject=e.subject,
                summary=e.summary,
                outcome=e.outcome,
                confidential=e.confidential,
                event=e.event.name if e.event else "",
                contacts=[str(c) for c in e.contacts.all()],
                staff=[_name_of_user(u) for u in e.staff.all()],
                partners=[p.name for p in e.partners.all()],
            )
        )
    info = ContactInfo(
        person=Person(
            name=str(contact),
            position=contact.job_title,
            email=contact.email,
            phone=contact.phone,
            languages=contact.languages,
        ),
        job_title=contact.job_title,
        roles=roles,
        former_roles=former,
        engagements=lines,
        earlier_engagements=max(0, total - len(lines)),
    )
    return info, list(dict.fromkeys(partner_ids))


def _country_partner_ids(country: Country) -> list[int]:
    """The government first, then the members headquartered in the country."""
    government = list(
        Partner.objects.filter(
            country=country, category=Partner.Category.GOVERNMENT
        ).values_list("pk", flat=True)
    )
    members = (
        Membership.objects.current()
        .filter(partner__country=country)
        .exclude(type=Membership.Type.MEMBER_STATE)
        .exclude(partner_id__in=government)
        .order_by("partner__name")
        .values_list("partner_id", flat=True)
    )
    return list(dict.fromkeys([*government, *members]))


def _country_info(country: Country, briefs: list[PartnerBrief]) -> CountryInfo:
    names = [country.name_en, country.name_fr]
    if _is_french():
        names.reverse()
    rows = []
    for b in briefs:
        current = [m for m in b.memberships if m.is_current]
        rows.append(
            CountryRow(
                anchor=b.anchor,
                name=b.name,
                membership="; ".join(
                    " ".join(x for x in (m.type, m.sector) if x) for m in current
                ),
                dues_chf=sum((m.annual_dues_chf for m in current), Decimal(0))
                if current
                else None,
                received_chf=b.money.total_received_chf,
                outstanding_chf=b.money.outstanding_chf,
            )
        )
    return CountryInfo(
        iso3=country.iso3,
        name=names[0],
        other_name=names[1],
        formal_name=country.formal_name,
        region=country.get_itu_region_display(),
        income_group=country.get_income_group_display(),
        is_ldc=country.is_ldc,
        is_member_state=country.is_itu_member_state,
        rows=rows,
    )


def brief_build(
    *, request: BriefRequest, user=None, now: dt.datetime | None = None
) -> Pack:
    """The data of the document ``request`` names, as ``user`` may see it.

    ``user=None`` is a system context that sees everything; pass an
    ``AnonymousUser`` to leave confidential engagements out. Labels and names
    come out in the active language; call it under ``translation.override``.
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    meetings: list[MeetingInfo] = []
    contact = None
    country_info = None
    kind = PrintLog.Document
    if request.document == kind.PARTNER_BRIEF:
        if not request.partner_ids:
            raise ValidationError(_("Choose at least one partner to print."))
        briefs, annex = _partner_briefs(request.partner_ids, user, today)
        if len(briefs) == 1:
            title = _("Brief: %(name)s") % {"name": briefs[0].name}
            subtitle = briefs[0].category
            slug = slugify(briefs[0].short_name or briefs[0].name) or str(briefs[0].id)
            filename = f"brief-{slug}-{stamp}.pdf"
        else:
            title = ngettext(
                "Briefs: %(count)d partner", "Briefs: %(count)d partners", len(briefs)
            ) % {"count": len(briefs)}
            subtitle = ", ".join(b.name for b in briefs[:4]) + (
                ", …" if len(briefs) > 4 else ""
            )
            filename = f"briefs-{len(briefs)}-partners-{stamp}.pdf"
    elif request.document == kind.CONTACT_BRIEF:
        contact, partner_ids = _contact_info(request.contact_id, user, today)
        briefs, annex = _partner_briefs(partner_ids, user, today)
        title = _("Brief: %(name)s") % {"name": contact.person.name}
        subtitle = "; ".join(
            ", ".join(x for x in (r.role, r.organisation) if x) for r in contact.roles
        )
        filename = f"brief-{slugify(contact.person.name) or 'contact'}-{stamp}.pdf"
    elif request.document == kind.COUNTRY_BRIEF:
        country = Country.objects.filter(iso3=request.country).first()
        if country is None:
            raise ValidationError(
                _("No country with ISO code %(code)s.") % {"code": request.country},
                code="unknown_country",
            )
        briefs, annex = _partner_briefs(_country_partner_ids(country), user, today)
        country_info = _country_info(country, briefs)
        title = _("Country brief: %(country)s") % {"country": country_info.name}
        subtitle = country_info.region
        filename = f"country-brief-{country.iso3}-{stamp}.pdf"
    elif request.document == kind.MEETING_PACK:
        if not request.meeting_ids:
            raise ValidationError(_("Choose at least one meeting to print."))
        meetings = _meetings(request.meeting_ids, today)
        partner_ids = list(dict.fromkeys(pk for m in meetings for pk in m.partner_ids))
        briefs, annex = _partner_briefs(partner_ids, user, today)
        days = sorted({timezone.localtime(m.starts_at).date() for m in meetings})
        if len(meetings) == 1:
            title = _("Meeting pack: %(title)s") % {"title": meetings[0].title}
        else:
            title = ngettext(
                "Meeting pack: %(count)d meeting",
                "Meeting pack: %(count)d meetings",
                len(meetings),
            ) % {"count": len(meetings)}
        if len(days) == 1:
            subtitle = date_format(days[0], "l j F Y")
        else:
            subtitle = f"{_long_date(days[0])} – {_long_date(days[-1])}"
        filename = f"meeting-pack-{days[0]:%Y%m%d}-{stamp}.pdf"
    else:
        raise ValidationError(
            _("Unknown document %(document)s.") % {"document": request.document}
        )

    truncated = any(b.earlier_engagements for b in briefs)
    if not (meetings or truncated):
        annex = []
    visible_confidential = any(e.confidential for e in annex) or any(
        line.confidential for b in briefs for line in b.engagements
    )
    if contact:
        visible_confidential |= any(e.confidential for e in contact.engagements)
    return Pack(
        document=request.document,
        title=title,
        subtitle=subtitle,
        filename=filename,
        language=request.language,
        generated_at=now,
        generated_by=_name_of_user(user) if user and user.is_authenticated else "",
        includes_confidential=visible_confidential,
        briefs=briefs,
        meetings=meetings,
        contact=contact,
        country=country_info,
        annex=annex,
    )


# --------------------------------------------------------------------------
# Rendering and logging
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Printed:
    filename: str
    content: bytes
    pages: int

    @property
    def document(self) -> Document:
        return (self.filename, PDF_CONTENT_TYPE, self.content)


def brief_render(*, pack: Pack) -> Printed:
    """Lay the pack out as a PDF, in the pack's language."""
    with translation.override(pack.language):
        rendered = render_pdf_document(TEMPLATE, {"pack": pack})
    return Printed(pack.filename, rendered.content, rendered.pages)


def brief_is_large(pack: Pack) -> bool:
    """Whether to print ``pack`` in the background rather than on the spot."""
    return (
        len(pack.briefs) > background_partner_limit()
        or pack.estimated_pages > background_page_limit()
    )


def _log_user(user):
    return user if user is not None and user.is_authenticated else None


def _check_can_print(user) -> None:
    """Staff need the permission; the system and the command line do not."""
    if (
        user is not None
        and user.is_authenticated
        and not user.has_perm(PRINT_PERMISSION)
    ):
        raise ValidationError(
            _("You are not allowed to print briefs."), code="permission_denied"
        )


def _write_log(
    log: PrintLog, *, pack: Pack, printed: Printed, meeting_ids: Sequence[int]
) -> PrintLog:
    log.title = pack.title[:300]
    log.filename = printed.filename
    log.pages = printed.pages
    log.size_bytes = len(printed.content)
    log.includes_confidential = pack.includes_confidential
    log.save()
    log.partners.set(pack.partner_ids)
    if meeting_ids:
        log.meetings.set(meeting_ids)
    return log


def brief_print(
    *,
    request: BriefRequest,
    user=None,
    via: str = PrintLog.Via.ADMIN,
    pack: Pack | None = None,
) -> Document:
    """Build, render and log the document; return (filename, type, bytes).

    ``user`` decides what the document shows and is recorded in the print log;
    ``None`` is the system. Raises ``ValidationError`` when the user may not
    print or the request names records that do not exist.
    """
    _check_can_print(user)
    with translation.override(request.language):
        pack = pack or brief_build(request=request, user=user)
    printed = brief_render(pack=pack)
    with transaction.atomic():
        log = PrintLog(
            user=_log_user(user),
            document=request.document,
            language=request.language,
            parameters=request.to_json(),
            via=via,
            status=PrintLog.Status.DONE,
            completed_at=timezone.now(),
        )
        _write_log(log, pack=pack, printed=printed, meeting_ids=request.meeting_ids)
    return printed.document


@transaction.atomic
def brief_enqueue(*, request: BriefRequest, user, title: str = "") -> PrintLog:
    """Queue the document for the background worker and log it as queued.

    The worker stores the PDF with the log entry, where the user downloads it.
    """
    from reports.tasks import print_queued_brief

    _check_can_print(user)
    log = PrintLog.objects.create(
        user=_log_user(user),
        document=request.document,
        title=(title or request.document)[:300],
        language=request.language,
        parameters=request.to_json(),
        via=PrintLog.Via.BACKGROUND,
        status=PrintLog.Status.QUEUED,
    )
    if request.partner_ids:
        log.partners.set(request.partner_ids)
    if request.meeting_ids:
        log.meetings.set(request.meeting_ids)
    log_id = log.pk
    # Enqueue only once the log row is committed, or the worker may not see it.
    transaction.on_commit(lambda: _enqueue(print_queued_brief, log_id, log))
    return log


def _enqueue(task, log_id: int, log: PrintLog) -> None:
    result = task.enqueue(log_id)
    PrintLog.objects.filter(pk=log_id, task_id="").update(task_id=str(result.id)[:64])
    log.task_id = str(result.id)[:64]


def brief_run_queued(*, log_id: int) -> PrintLog:
    """Print a queued document and store the PDF with its log entry."""
    log = PrintLog.objects.select_related("user").get(pk=log_id)
    if log.status == PrintLog.Status.DONE:
        return log
    PrintLog.objects.filter(pk=log_id).update(status=PrintLog.Status.RUNNING)
    request = BriefRequest.from_json(log.parameters)
    user = log.user if log.user is not None else AnonymousUser()
    try:
        _check_can_print(log.user)
        with translation.override(request.language):
            pack = brief_build(request=request, user=user)
        printed = brief_render(pack=pack)
    except Exception as error:
        PrintLog.objects.filter(pk=log_id).update(
            status=PrintLog.Status.FAILED,
            error=str(error)[:2000],
            completed_at=timezone.now(),
        )
        raise
    with transaction.atomic():
        log.file.save(printed.filename, ContentFile(printed.content), save=False)
        log.status = PrintLog.Status.DONE
        log.completed_at = timezone.now()
        _write_log(log, pack=pack, printed=printed, meeting_ids=request.meeting_ids)
    return log
