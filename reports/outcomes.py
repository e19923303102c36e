"""Recording what came of a meeting: its engagements and follow-ups.

The workflow of the meeting's *Record the outcome* page (its own module, not
``reports/services.py``, so that it stays apart from the packs' services).
Engagements are logged through ``partners.services.engagement_log``, the
same service the engagement form and the imports use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Affiliation, Contact, Engagement, Partner
from partners.services import engagement_log
from reports.models import Meeting


@dataclass
class FollowUpRow:
    """One follow-up to record; ``partner`` chooses the engagement it hangs on
    when there is one engagement per partner."""

    description: str
    assignee: object
    due_date: dt.date
    partner: Partner | None = None


@dataclass
class OutcomeRecorded:
    meeting: Meeting
    engagements: list[Engagement] = field(default_factory=list)
    followup_count: int = 0


@transaction.atomic
def meeting_record_outcome(
    *,
    meeting: Meeting,
    created_by,
    subject: str,
    partners: Iterable[Partner],
    date: dt.date | None = None,
    kind: str = Engagement.Kind.MEETING,
    summary: str = "",
    outcome: str = "",
    contacts: Iterable[Contact] = (),
    staff: Iterable = (),
    confidential: bool = False,
    one_per_partner: bool = False,
    followups: Iterable[FollowUpRow] = (),
) -> OutcomeRecorded:
    """Log the meeting's engagement(s) and follow-ups and link them to it.

    One engagement for all ``partners``, or one per partner (each with the
    contacts now at that partner, plus those at none of them); follow-ups go
    on the engagement of their partner, else on the first. All or nothing:
    a ``ValidationError`` names the follow-up row or field at fault.
    """
    partners = list(partners)
    contacts = list(contacts)
    followups = list(followups)
    if not partners:
        raise ValidationError(
            {"partners": _("Choose at least one partner the meeting was with.")}
        )
    for number, row in enumerate(followups, start=1):
        problems = []
        if not row.description.strip():
            problems.append(_("say what is to be done"))
        if row.assignee is None:
            problems.append(_("choose who does it"))
        if row.due_date is None:
            problems.append(_("give a due date"))
        if row.partner is not None and row.partner not in partners:
            problems.append(
                _("%(partner)s is not among the partners chosen")
                % {"partner": row.partner}
            )
        if problems:
            raise ValidationError(
                _("Follow-up %(number)d: %(problems)s.")
                % {"number": number, "problems": "; ".join(problems)}
            )

    groups = (
        _per_partner(partners, contacts) if one_per_partner else [(partners, contacts)]
    )
    recorded = OutcomeRecorded(meeting=meeting)
    for group_partners, group_contacts in groups:
        mine = [
            row
            for row in followups
            if (row.partner in group_partners)
            or (row.partner is None and not recorded.engagements)
        ]
        engagement = engagement_log(
            created_by=created_by,
            subject=subject,
            partners=group_partners,
            date=date or timezone.localdate(meeting.starts_at),
            kind=kind,
            summary=summary,
            outcome=outcome,
            contacts=group_contacts,
            staff=staff,
            confidential=confidential,
            followups=[
                {
                    "description": row.description.strip(),
                    "assignee": row.assignee,
                    "due_date": row.due_date,
                    "partner": row.partner or group_partners[0],
                }
                for row in mine
            ],
        )
        recorded.engagements.append(engagement)
        recorded.followup_count += len(mine)
    meeting.engagements.add(*recorded.engagements)
    return recorded


def _per_partner(partners: list[Partner], contacts: list[Contact]):
    """Each partner with the chosen contacts now at it (and those at none)."""
    today = timezone.localdate()
    at: dict[int, set[int]] = {}
    for contact_id, partner_id in Affiliation.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today),
        contact__in=contacts,
        partner__in=partners,
    ).values_list("contact_id", "partner_id"):
        at.setdefault(partner_id, set()).add(contact_id)
    placed = set().union(*at.values()) if at else set()
    unplaced = [c for c in contacts if c.pk not in placed]
    return [
        (
            [partner],
            [c for c in contacts if c.pk in at.get(partner.pk, set())] + unplaced,
        )
        for partner in partners
    ]
