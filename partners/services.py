"""Workflows on partners, engagements and follow-ups.

Admin actions, commands and imports call these functions and report the
outcome; the rules themselves stay here and in the models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Contact, Engagement, FollowUp, Partner, PartnerAlias

FOLLOWUP_DUE_DAYS = 14


def followup_default_due_date(*, today: dt.date | None = None) -> dt.date:
    """The due date a new follow-up gets unless someone picks another one."""
    return (today or timezone.localdate()) + dt.timedelta(days=FOLLOWUP_DUE_DAYS)


def engagement_initial(*, user, partner_ids: Iterable[int] = ()) -> dict:
    """Defaults for logging an engagement: today, the user as staff, the partners."""
    initial: dict = {"date": timezone.localdate(), "staff": [user.pk]}
    partner_ids = [pk for pk in partner_ids if pk]
    if partner_ids:
        initial["partners"] = list(partner_ids)
    return initial


@transaction.atomic
def engagement_log(
    *,
    created_by,
    subject: str,
    partners: Iterable[Partner],
    date: dt.date | None = None,
    kind: str = Engagement.Kind.MEETING,
    summary: str = "",
    outcome: str = "",
    contacts: Iterable = (),
    staff: Iterable = (),
    event=None,
    confidential: bool = False,
    followups: Iterable[dict] = (),
) -> Engagement:
    """Record an engagement with its people and follow-ups, all or nothing.

    Each follow-up is a dict with ``description``, ``assignee`` and optionally
    ``due_date`` (default: in 14 days) and ``partner`` (default: the
    engagement's first partner, as ``FollowUp.save()`` decides).
    """
    partners = list(partners)
    if not partners:
        raise ValidationError(
            {"partners": _("An engagement needs at least one partner.")}
        )
    engagement = Engagement(
        date=date or timezone.localdate(),
        kind=kind,
        subject=subject,
        summary=summary,
        outcome=outcome,
        event=event,
        confidential=confidential,
        created_by=created_by,
    )
    engagement.full_clean()
    engagement.save()
    engagement.partners.set(partners)
    engagement.contacts.set(list(contacts))
    staff = list(staff) or ([created_by] if created_by else [])
    engagement.staff.set(staff)
    for data in followups:
        followup = FollowUp(
            engagement=engagement,
            partner=data.get("partner"),
            description=data.get("description", ""),
            assignee=data.get("assignee"),
            due_date=data.get("due_date") or followup_default_due_date(),
        )
        followup.full_clean()
        followup.save()
    return engagement


@transaction.atomic
def followup_complete(*, followup: FollowUp, on: dt.date | None = None) -> bool:
    """Mark an open follow-up done on ``on`` (default today).

    Returns False when it was already done; a cancelled follow-up cannot be
    completed.
    """
    followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
    if followup.status == FollowUp.Status.DONE:
        return False
    if followup.status == FollowUp.Status.CANCELLED:
        raise ValidationError(
            {
                "status": _(
                    "“%(followup)s” was cancelled; reopen it before marking it done."
                )
                % {"followup": followup.description}
            }
        )
    followup.status = FollowUp.Status.DONE
    followup.done_on = on or timezone.localdate()
    followup.full_clean()
    followup.save(update_fields=["status", "done_on"])
    return True


@transaction.atomic
def partner_deactivate(*, partner: Partner) -> bool:
    """Mark a partner inactive, the way to retire one that has history.

    Returns False when it was already inactive.
    """
    if not partner.is_active:
        return False
    partner.is_active = False
    partner.full_clean()
    partner.save(update_fields=["is_active", "updated_at"])
    return True


ANONYMISED_FIELDS = {
    "title": "",
    "first_name": "",
    "job_title": "",
    "email": "",
    "phone": "",
    "languages": "",
    "notes": "",
}


@transaction.atomic
def contact_anonymise(*, contact: Contact) -> bool:
    """Remove a contact's personal data on request; False if done already.

    The contact row stays, renamed "Anonymised contact N" and marked do not
    contact, so engagements keep their link and their counts. Every earlier
    version in the history is scrubbed the same way. Free text elsewhere (an
    engagement's summary, a brief already printed) is not searched.
    """
    name = _("Anonymised contact %(pk)s") % {"pk": contact.pk}
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if (
        contact.last_name == name
        and contact.do_not_contact
        and not any(getattr(contact, field) for field in ANONYMISED_FIELDS)
    ):
        return False
    for field, value in ANONYMISED_FIELDS.items():
        setattr(contact, field, value)
    contact.last_name = name
    contact.do_not_contact = True
    contact.full_clean()
    contact.history.update(last_name=name, do_not_contact=True, **ANONYMISED_FIELDS)
    contact._change_reason = "anonymised on request"
    contact.save()
    return True


@transaction.atomic
def partner_alias_add(
    *,
    partner_id: int,
    name: str,
    source: str = PartnerAlias.Source.MANUAL,
    user=None,
    batch=None,
) -> PartnerAlias | None:
    """Record ``name`` as another name of the partner; None if it has it already.

    A spelling equal to the partner's own name or one of its aliases adds
    nothing. Who added it and from which import batch stay on the alias.
    """
    from crm.lib.names import normalize_name

    key = normalize_name(name)
    partner = Partner.objects.get(pk=partner_id)
    if not key or key in {
        normalize_name(partner.name),
        normalize_name(partner.name_fr),
    }:
        return None
    if PartnerAlias.objects.filter(partner=partner, normalized=key).exists():
        return None
    alias = PartnerAlias(
        partner=partner,
        name=name[:200],
        source=source,
        created_by=user if user is not None and user.pk else None,
        import_batch=batch,
    )
    alias.full_clean()
    alias.save()
    return alias
