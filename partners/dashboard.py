"""Start-page panels of the partners app, registered from ``partners/admin.py``.

Each provider takes the request and returns ``(template_name, context)``
pairs (see ``crm.admin_site``); it makes a fixed number of queries.
"""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, When
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from crm.admin_site import Panel
from crm.lib.money import format_money
from partners.models import Membership

ARREARS_ROWS = 10


def arrears_panel(request: HttpRequest) -> list[Panel]:
    """Current members whose arrears cost them something, worst first.

    The consequence is ``Membership.arrears_consequence()`` for this year, as
    on the membership report, in briefs and in the membership list.
    """
    if not request.user.has_perm("partners.view_membership"):
        return []
    outcome = Membership.ArrearsConsequence
    memberships = (
        Membership.objects.current()
        .with_arrears_consequence()
        .exclude(consequence=outcome.NONE)
    )
    counts = dict(
        memberships.order_by()
        .values_list("consequence")
        .annotate(n=Count("pk"))
        .values_list("consequence", "n")
    )
    severity = Case(
        *(When(consequence=value, then=i) for i, value in enumerate(outcome.values)),
        output_field=IntegerField(),
    )
    rows = memberships.select_related("partner").order_by(
        severity, "-arrears_chf", "pk"
    )[: ARREARS_ROWS + 1]
    url = reverse("admin:partners_membership_changelist")
    return [
        (
            "admin/partners/panels/start_arrears.html",
            {
                "counts": [
                    (
                        consequence.label,
                        counts.get(consequence, 0),
                        f"{url}?{urlencode({'consequence': consequence})}",
                    )
                    for consequence in outcome
                    if consequence != outcome.NONE
                ],
                "memberships": [
                    (
                        m,
                        format_money(m.arrears_chf),
                        m.arrears_consequence().label,
                    )
                    for m in rows
                ],
                "rows": ARREARS_ROWS,
            },
        )
    ]
