"""The ask: what a meeting should obtain from each partner it covers.

A meeting stores an ask per partner (``MeetingPartner.ask``); when none is
typed, ``default_asks`` proposes one from the partner's open pledges and
follow-ups. The meeting form shows it as a placeholder and the pack prints it,
so both read this one function.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Q
from django.utils.translation import gettext as _

from crm.lib.formats import format_money
from partners.models import Engagement, FollowUp
from reports.briefs.sections import long_date


def default_asks(partner_ids: Sequence[int], *, user, today: dt.date) -> dict[int, str]:
    """The default ask of each partner, "" when nothing is open; two queries.

    In order of precedence: money overdue on a firm pledge ("Ask for the
    USD 10,000.00 overdue ..."), then the largest open pledge not yet signed
    ("Confirm the CHF 250,000.00 pledge for 2027 (stage: Proposal)"), then the
    follow-up due first ("Follow up: ... (due ...)"). Follow-ups of engagements
    ``user`` may not see are left out, as in the brief.
    """
    from pledges.models import Pledge

    ids = list(dict.fromkeys(partner_ids))
    asks: dict[int, str] = {}
    overdue: dict[int, Pledge] = {}
    to_confirm: dict[int, Pledge] = {}
    pledges = (
        Pledge.objects.filter(partner_id__in=ids)
        .open()
        .with_figures(today)
        .order_by("partner_id", "-amount_chf", "pk")
    )
    for p in pledges:
        if p.overdue_amount > 0:
            best = overdue.get(p.partner_id)
            if best is None or p.overdue_amount * p.chf_rate > (
                best.overdue_amount * best.chf_rate
            ):
                overdue[p.partner_id] = p
        elif p.stage != Pledge.Stage.AGREEMENT_SIGNED:
            to_confirm.setdefault(p.partner_id, p)
    for pk, p in overdue.items():
        asks[pk] = _(
            "Ask for the %(amount)s overdue on the pledge “%(title)s” "
            "(due since %(date)s)."
        ) % {
            "amount": format_money(p.overdue_amount, p.currency),
            "title": p.title,
            "date": long_date(p.next_due_on) if p.next_due_on else "",
        }
    for pk, p in to_confirm.items():
        if pk in asks:
            continue
        year = p.expected_by or p.pledged_on
        params = {
            "amount": format_money(p.amount, p.currency),
            "stage": p.get_stage_display(),
        }
        if year:
            asks[pk] = _(
                "Confirm the %(amount)s pledge for %(year)s (stage: %(stage)s)."
            ) % {**params, "year": year.year}
        else:
            asks[pk] = _("Confirm the %(amount)s pledge (stage: %(stage)s).") % params
    waiting = [pk for pk in ids if pk not in asks]
    if waiting:
        engagements = Engagement.objects.visible_to(user).filter(partners__in=waiting)
        followups = (
            FollowUp.objects.visible_to(user)
            .open()
            .filter(Q(partner_id__in=waiting) | Q(engagement__in=engagements))
            .values_list(
                "partner_id", "engagement__partners", "description", "due_date"
            )
            .order_by("due_date", "pk")
        )
        for partner_id, engagement_partner, description, due in followups:
            for pk in (partner_id, engagement_partner):
                if pk in waiting and pk not in asks:
                    asks[pk] = _("Follow up: %(what)s (due %(date)s).") % {
                        "what": description,
                        "date": long_date(due),
                    }
    return {pk: asks.get(pk, "") for pk in ids}
