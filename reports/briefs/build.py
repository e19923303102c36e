"""Build the data of a brief, a pack, a meeting pack, a contact or a country brief.

``brief_build`` returns a ``Pack``: dataclasses holding strings, numbers and
dates, nothing lazy, so templates run no queries (see ``sections``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.lib.formats import format_date, format_money
from crm.lib.names import user_name
from crm.models import Country
from documents.services import documents_by_partner
from partners.models import (
    Contact,
    Engagement,
    Membership,
    Partner,
)
from reports.briefs.asks import default_asks
from reports.briefs.data import (
    BriefRequest,
    ContactInfo,
    CountryInfo,
    CountryRow,
    EngagementLine,
    GlanceRow,
    MeetingInfo,
    MoneySummary,
    Pack,
    PartnerBrief,
    Person,
)
from reports.briefs.sections import (
    brief_engagement_limit,
    contacts_by_partner,
    engagements_by_partner,
    events_of,
    followups_by_partner,
    is_french,
    key_points,
    long_date,
    membership_lines,
    money_summaries,
    person_of,
)
from reports.models import Meeting, PrintLog


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
    memberships = membership_lines(ids, today)
    current, former = contacts_by_partner(ids, today)
    engagements, all_lines, events = engagements_by_partner(ids, user)
    engagement_partners: dict[int, set[int]] = defaultdict(set)
    for pk, lines in engagements.items():
        for line in lines:
            engagement_partners[line.id].add(pk)
    followups = followups_by_partner(ids, user, today, engagement_partners)
    money = money_summaries(ids, today)
    documents = documents_by_partner(ids, user)
    limit = brief_engagement_limit()
    french = is_french()
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
            owner=user_name(p.owner),
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
            events=events_of(lines, events),
            money=money.get(pk) or MoneySummary(),
            documents=documents.get(pk, []),
        )
        brief.key_points = key_points(brief, today)
        briefs.append(brief)
    return briefs, all_lines


def _meetings(meeting_ids: Sequence[int], today: dt.date) -> list[MeetingInfo]:
    meetings = list(
        Meeting.objects.filter(pk__in=meeting_ids)
        .order_by("starts_at", "pk")
        .prefetch_related(
            "meetingpartner_set__partner",
            "staff",
            "counterparts__affiliations__partner",
        )
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
        covers = sorted(
            m.meetingpartner_set.all(),
            key=lambda c: (c.partner.display_name, c.partner.pk),
        )
        partners = [c.partner for c in covers]
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
                    person_of(current[0], organisation=current[0].partner.display_name)
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
                staff=sorted(user_name(u) for u in m.staff.all()),
                partners=[p.display_name for p in partners],
                partner_ids=[p.pk for p in partners],
                objectives=m.objectives,
                talking_points=m.talking_point_list,
                asks={c.partner_id: c.ask.strip() for c in covers if c.ask.strip()},
            )
        )
    return result


def _glance_row(brief: PartnerBrief, ask: str | None, default: str) -> GlanceRow:
    from pledges.models import Pledge

    membership = []
    for m in brief.memberships:
        if not m.is_current:
            continue
        label = " ".join(x for x in (m.type, m.sector) if x)
        if m.arrears_chf:
            label = _("%(membership)s, arrears %(amount)s") % {
                "membership": label,
                "amount": format_money(m.arrears_chf),
            }
        elif m.consequence:
            label = f"{label}, {m.consequence}"
        membership.append(label)
    rank = {stage: i for i, stage in enumerate(Pledge.Stage.OPEN)}
    open_lines = sorted(
        (p for p in brief.money.pledges if p.is_open),
        key=lambda p: (-rank.get(p.stage_code, -1), -p.amount_chf),
    )
    stage = ""
    if open_lines:
        stage = ngettext(
            "%(stage)s (%(count)d open pledge)",
            "%(stage)s (%(count)d open pledges)",
            len(open_lines),
        ) % {"stage": open_lines[0].stage, "count": len(open_lines)}
    return GlanceRow(
        anchor=brief.anchor,
        name=brief.name,
        membership="; ".join(membership),
        stage=stage,
        received_chf=brief.money.total_received_chf,
        outstanding_chf=brief.money.outstanding_chf,
        overdue_chf=brief.money.overdue_chf,
        last_contact=brief.engagements[0] if brief.engagements else None,
        ask=ask or default,
        ask_is_default=not ask,
    )


def _fill_glance(
    meetings: list[MeetingInfo], briefs: list[PartnerBrief], user, today: dt.date
) -> None:
    """Each meeting's first page: its partners side by side, with the asks."""
    by_id = {b.id: b for b in briefs}
    untyped = [pk for m in meetings for pk in m.partner_ids if pk not in m.asks]
    defaults = (
        default_asks(list(dict.fromkeys(untyped)), user=user, today=today)
        if untyped
        else {}
    )
    for m in meetings:
        m.glance = [
            _glance_row(by_id[pk], m.asks.get(pk), defaults.get(pk, ""))
            for pk in m.partner_ids
        ]


def pack_filename(kind: str, name: str, day: dt.date, language: str) -> str:
    """``pack_bilateral-with-japan_2026-12-08_fr.pdf``: what, who, when, language."""
    return f"{kind}_{slugify(name) or 'document'}_{day:%Y-%m-%d}_{language}.pdf"


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
        person = person_of(a, organisation=a.partner.display_name)
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
                event=e.event.display_name if e.event else "",
                contacts=[str(c) for c in e.contacts.all()],
                staff=[user_name(u) for u in e.staff.all()],
                partners=[p.display_name for p in e.partners.all()],
            )
        )
    info = ContactInfo(
        person=Person(
            name=str(contact),
            position=contact.job_title,
            email=contact.email,
            phone=contact.phone,
            languages=contact.languages_display,
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
    if is_french():
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
            filename = pack_filename("brief", slug, today, request.language)
        else:
            title = ngettext(
                "Briefs: %(count)d partner", "Briefs: %(count)d partners", len(briefs)
            ) % {"count": len(briefs)}
            subtitle = ", ".join(b.name for b in briefs[:4]) + (
                ", …" if len(briefs) > 4 else ""
            )
            filename = pack_filename(
                "briefs", f"{len(briefs)}-partners", today, request.language
            )
    elif request.document == kind.CONTACT_BRIEF:
        contact, partner_ids = _contact_info(request.contact_id, user, today)
        briefs, annex = _partner_briefs(partner_ids, user, today)
        title = _("Brief: %(name)s") % {"name": contact.person.name}
        subtitle = "; ".join(
            ", ".join(x for x in (r.role, r.organisation) if x) for r in contact.roles
        )
        filename = pack_filename(
            "brief", contact.person.name or "contact", today, request.language
        )
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
        filename = pack_filename("country-brief", country.iso3, today, request.language)
    elif request.document == kind.MEETING_PACK:
        if not request.meeting_ids:
            raise ValidationError(_("Choose at least one meeting to print."))
        meetings = _meetings(request.meeting_ids, today)
        partner_ids = list(dict.fromkeys(pk for m in meetings for pk in m.partner_ids))
        briefs, annex = _partner_briefs(partner_ids, user, today)
        _fill_glance(meetings, briefs, user, today)
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
            subtitle = format_date(days[0], "l j F Y")
        else:
            subtitle = f"{long_date(days[0])} – {long_date(days[-1])}"
        name = meetings[0].title if len(meetings) == 1 else f"{len(meetings)}-meetings"
        filename = pack_filename("pack", name, days[0], request.language)
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
    visible_confidential |= any(d.confidential for b in briefs for d in b.documents)
    if contact:
        visible_confidential |= any(e.confidential for e in contact.engagements)
    return Pack(
        document=request.document,
        title=title,
        subtitle=subtitle,
        filename=filename,
        language=request.language,
        generated_at=now,
        generated_by=user_name(user) if user and user.is_authenticated else "",
        includes_confidential=visible_confidential,
        briefs=briefs,
        meetings=meetings,
        contact=contact,
        country=country_info,
        annex=annex,
    )
