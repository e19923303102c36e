"""Pledges in the CRM-wide search box (``crm.search``)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Case, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _

from crm.lib.formats import format_money
from crm.search import (
    Group,
    Hit,
    changelist_url,
    group_of,
    indexable,
    words_condition,
)
from pledges.models import Pledge


def pledges(request, term: str, limit: int) -> Group | None:
    """Pledges by title or reference (agreement, import); a reference typed
    exactly comes first, then the newest."""
    model_admin = admin.site._registry.get(Pledge)
    if model_admin is None or not model_admin.has_view_permission(request):
        return None
    if not indexable(term):
        return None
    reference = Q(agreement_reference__iexact=term) | Q(external_id__iexact=term)
    rows = list(
        Pledge.objects.filter(
            reference
            | words_condition(term, ["title", "agreement_reference", "external_id"])
        )
        .annotate(
            search_rank=Case(
                When(reference, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .select_related("partner")
        .order_by("search_rank", "-created_at", "-pk")[: limit + 1]
    )

    def hit(pledge: Pledge) -> Hit:
        url = reverse("admin:pledges_pledge_change", args=[pledge.pk])
        detail = [
            pledge.partner.short_name or pledge.partner.name,
            format_money(pledge.amount, pledge.currency),
            pledge.get_stage_display(),
        ]
        if pledge.agreement_reference:
            detail.append(pledge.agreement_reference)
        return Hit(pledge.title, url, " · ".join(detail))

    return group_of(
        "pledges", _("Pledges"), rows, limit, hit, changelist_url(Pledge, term)
    )
