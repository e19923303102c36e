"""The partner admin with pledge columns, filter and panel."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.admin_helpers import changelist_url
from crm.admin_site import Panel
from partners.admin import PartnerAdmin as BasePartnerAdmin
from partners.models import Partner
from pledges import services
from pledges.admin.common import money_cell
from pledges.filters import (
    PartnerPledgeFilter,
)
from pledges.managers import with_pledge_rollups
from pledges.models import (
    Installment,
    Payment,
    Pledge,
)

# Partners ---------------------------------------------------------------------


admin.site.unregister(Partner)


@admin.register(Partner)
class PartnerAdmin(BasePartnerAdmin):
    """The partner admin with pledge roll-ups in the list and a pledge panel."""

    class Media:
        css = {"all": ["pledges/admin.css"]}

    def annotate_rows(self, request, queryset):
        return with_pledge_rollups(super().annotate_rows(request, queryset))

    def get_list_display(self, request):
        return [
            *super().get_list_display(request),
            "lifetime_received",
            "received_this_year",
        ]

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), PartnerPledgeFilter]

    def get_panels(self, request, obj):
        panels = super().get_panels(request, obj)
        if request.user.has_perm("pledges.view_pledge"):
            panels.insert(0, self.pledges_panel(request, obj))
        return panels

    def get_overview_panels(self, request, obj, overview):
        panels = super().get_overview_panels(request, obj, overview)
        if request.user.has_perm("pledges.view_pledge"):
            panels.insert(0, self.key_figures_panel(request, obj))
        return panels

    def key_figures_panel(self, request, obj: Partner) -> Panel:
        """Pledged, received, outstanding and overdue in CHF, on the overview."""
        return (
            "admin/pledges/panels/key_figures.html",
            {
                "summary": services.partner_pledge_summary(partner=obj),
                "all_url": changelist_url(Pledge, partner=obj.pk),
                "installments_url": changelist_url(
                    Installment, partner=obj.pk, status="owed"
                ),
                "payments_url": changelist_url(Payment, partner=obj.pk),
            },
        )

    def pledges_panel(self, request, obj: Partner) -> Panel:
        return (
            "admin/pledges/panels/pledges.html",
            {
                "title": _("Pledges and payments"),
                "summary": services.partner_pledge_summary(partner=obj),
                "all_url": changelist_url(Pledge, partner=obj.pk),
                "payments_url": changelist_url(Payment, partner=obj.pk),
                "installments_url": changelist_url(
                    Installment, partner=obj.pk, status="owed"
                ),
                # The page lives in reports (which depends on pledges): by name.
                "statement_url": f"{reverse('reports_statement')}?partner={obj.pk}",
                "add_url": f"{reverse('admin:pledges_pledge_add')}?partner={obj.pk}"
                if request.user.has_perm("pledges.add_pledge")
                else None,
            },
        )

    @admin.display(
        description=_("received, lifetime (CHF)"), ordering="lifetime_received_chf"
    )
    def lifetime_received(self, obj: Partner) -> str:
        value = getattr(obj, "lifetime_received_chf", None)
        return money_cell(value, "") if value else ""

    @admin.display(
        description=_("received this year (CHF)"), ordering="received_this_year_chf"
    )
    def received_this_year(self, obj: Partner) -> str:
        value = getattr(obj, "received_this_year_chf", None)
        return money_cell(value, "") if value else ""
