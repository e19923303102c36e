"""Start-page panels of the pledges app, registered from ``pledges/admin.py``.

Each provider takes the request and returns ``(template_name, context)``
pairs (see ``crm.admin_site``); it makes a fixed number of queries.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from crm.admin_helpers import changelist_url
from crm.admin_site import Panel
from crm.lib.formats import percent_of
from pledges.models import Installment, Lever


def start_page_panels(request: HttpRequest) -> list[Panel]:
    """This year's levers against target, and the installments overdue."""
    user = request.user
    if not user.has_perm("pledges.view_pledge"):
        return []
    today = timezone.localdate()
    levers = list(Lever.objects.active().with_year_figures(today.year))
    overdue = (
        Installment.objects.overdue(today)
        .with_coverage(today)
        .select_related("pledge", "pledge__partner")
        .order_by("due_date", "pk")
    )
    rows = 10
    return [
        (
            "admin/pledges/panels/start_levers.html",
            {
                "year": today.year,
                "levers": [
                    {
                        "lever": lever,
                        "target": lever.target_chf,
                        "received": lever.received_chf,
                        "weighted": lever.weighted_pipeline_chf,
                        "percent": percent_of(lever.received_chf, lever.target_chf),
                    }
                    for lever in levers
                ],
                "all_url": changelist_url(Lever),
            },
        ),
        (
            "admin/pledges/panels/start_overdue.html",
            {
                "installments": list(overdue[: rows + 1]),
                "rows": rows,
                "all_url": changelist_url(Installment, status="overdue"),
            },
        ),
    ]
