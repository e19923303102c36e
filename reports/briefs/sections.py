"""The sections of a partner's brief, each fetched for every partner at once.

Memberships, contacts, engagements, follow-ups, money and key points: one
function per section, taking the partner ids of a document, so the number of
queries depends on neither the number of partners nor their histories.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings
from django.db.models import Max, Min, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.lib.formats import format_date, format_money
from crm.lib.names import user_name
from partners.models import (
    WOMAN_ROLES,
    Affiliation,
    Contact,
    Engagement,
    FollowUp,
    Membership,
)
from reports.briefs.data import (
    EngagementLine,
    EventLine,
    FollowUpLine,
    MembershipLine,
    MoneySummary,
    PartnerBrief,
    Person,
    PledgeLine,
    Reconciliation,
    YearLine,
)
from reports.charts import pledge_chart

CENT = Decimal("0.01")
CHART_YEARS = 8
# Fulfilled pledges older than this many years are counted, not listed.
RECENT_FULFILLED_YEARS = 3
# Contacts whose affiliation ended within this many days show as "left recently".
RECENTLY_LEFT_DAYS = 365


def brief_engagement_limit() -> int:
    """Engagements shown in a partner's brief; the rest go to the annex."""
    return int(getattr(settings, "REPORTS_BRIEF_ENGAGEMENTS", 8))


def long_date(value: dt.date) -> str:
    """ "1 October 2026" / "1er octobre 2026" (``crm.lib.formats.format_date``)."""
    return format_date(value, "j F Y")


def is_french() -> bool:
    return translation.get_language().startswith("fr")


def _person_name(contact: Contact) -> str:
    return str(contact)


def person_of(affiliation: Affiliation, *, organisation: str = "") -> Person:
    contact = affiliation.contact
    return Person(
        name=_person_name(contact),
        role=affiliation.role_display,
        position=affiliation.position or contact.job_title,
        organisation=organisation,
        email=contact.email,
        phone=contact.phone,
        languages=contact.languages_display,
        is_primary=affiliation.is_primary,
        since=affiliation.start_date,
        until=affiliation.end_date,
    )


def membership_lines(
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


def contacts_by_partner(
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
            current[a.partner_id].append(person_of(a))
        else:
            former[a.partner_id].append(person_of(a))
    role_rank = {}
    for i, (role, label) in enumerate(Affiliation.Role.choices):
        role_rank[str(label)] = role_rank[str(WOMAN_ROLES.get(role, label))] = i
    for people in current.values():
        people.sort(key=lambda p: (not p.is_primary, role_rank.get(p.role, 99), p.name))
    for people in former.values():
        people.sort(key=lambda p: p.until or today, reverse=True)
    return current, former


def engagements_by_partner(
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
                event=e.event.display_name if e.event else "",
                event_id=e.event_id,
            )
            if e.event and e.event_id not in events:
                events[e.event_id] = EventLine(
                    name=e.event.display_name,
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
            lines[row.engagement_id].staff.append(user_name(row.user))
    for row in (
        through.objects.filter(engagement__in=ids)
        .select_related("partner")
        .order_by("partner__name")
    ):
        if row.engagement_id in lines:
            lines[row.engagement_id].partners.append(row.partner.display_name)
    for line in lines.values():
        line.contacts = list(dict.fromkeys(line.contacts))
        line.staff = list(dict.fromkeys(line.staff))
        line.partners = list(dict.fromkeys(line.partners))
    ordered = sorted(lines.values(), key=lambda x: (x.date, x.id), reverse=True)
    return by_partner, ordered, events


def events_of(
    lines: Iterable[EngagementLine], events: dict[int, EventLine]
) -> list[EventLine]:
    ids = dict.fromkeys(line.event_id for line in lines if line.event_id)
    return sorted((events[pk] for pk in ids), key=lambda e: e.start_date, reverse=True)


def followups_by_partner(
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
            assignee=user_name(f.assignee),
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


def reconcile(pledges: Iterable) -> Reconciliation:
    """Pledged, received and outstanding CHF of firm pledges, adding up.

    ``pledges`` carry ``PledgeQuerySet.with_figures``. Pledged and outstanding
    are at each pledge's own rate (as the pledges app computes outstanding);
    received at the rate of each payment's date, and the exchange difference
    is what the same payments are worth at the pledges' rates less that, so
    pledged = received + exchange difference + closed short + outstanding.
    "Closed short" is what fulfilled pledges did not receive (negative when
    payments went beyond the amount pledged).
    """
    from pledges.models import Pledge

    result = Reconciliation()
    at_pledge_rate = Decimal(0)
    for p in pledges:
        if p.stage not in Pledge.Stage.PAYABLE:
            continue
        result.pledged_chf += p.amount_chf
        result.received_chf += p.received_chf
        at_pledge_rate += (p.received_amount * p.chf_rate).quantize(CENT)
        if p.stage in Pledge.Stage.COMMITTED:
            result.outstanding_chf += p.outstanding_chf
    result.exchange_chf = at_pledge_rate - result.received_chf
    result.closed_short_chf = (
        result.pledged_chf - at_pledge_rate - result.outstanding_chf
    )
    return result


def money_summaries(
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
    by_partner: dict[int, list[Pledge]] = defaultdict(list)
    for p in pledges:
        summary = summaries[p.partner_id]
        by_partner[p.partner_id].append(p)
        if p.stage in Pledge.Stage.CLOSED:
            summary.received_on_closed_chf += p.received_chf
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
                    lever=p.lever.display_name,
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
                    stage_code=p.stage,
                )
            )
        if p.stage in Pledge.Stage.PAYABLE and p.pledged_on:
            pledged_by_year[p.partner_id][p.pledged_on.year] += p.amount_chf
        if committed:
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
        summary.reconciliation = reconcile(by_partner[pk])
        summary.total_pledged_chf = summary.reconciliation.pledged_chf
        summary.outstanding_chf = summary.reconciliation.outstanding_chf
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


def key_points(brief: PartnerBrief, today: dt.date) -> list[str]:
    """What someone walking into the meeting should not miss."""
    points: list[str] = []
    for m in brief.memberships:
        if not m.is_current:
            continue
        point = []
        if m.arrears_chf:
            point.append(
                _("Arrears of %(amount)s (%(years)s years of contributions).")
                % {"amount": format_money(m.arrears_chf), "years": m.arrears_years}
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
                "amount": format_money(money.overdue_chf),
                "date": long_date(money.oldest_overdue) if money.oldest_overdue else "",
            }
        )
    if money.outstanding_chf > 0:
        points.append(
            _("%(amount)s pledged and not yet received.")
            % {"amount": format_money(money.outstanding_chf)}
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
                "date": long_date(oldest.due_date),
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
                % {"name": person.name, "date": long_date(person.since)}
            )
    if brief.engagements:
        last = brief.engagements[0]
        points.append(
            _("Last contact: %(date)s, %(kind)s: %(subject)s.")
            % {
                "date": long_date(last.date),
                "kind": last.kind.lower(),
                "subject": last.subject,
            }
        )
    else:
        points.append(_("No contact with this partner is recorded."))
    return points
