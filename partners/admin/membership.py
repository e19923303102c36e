"""Memberships, contributory units and tags."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import (
    Count,
)
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from crm.admin_helpers import (
    changelist_url,
    titled,
)
from crm.history import HistoryAdmin
from crm.lib.formats import format_amount
from partners.admin.common import (
    MembershipFormMixin,
)
from partners.filters import (
    ArrearsConsequenceFilter,
)
from partners.models import (
    Membership,
    Partner,
    Tag,
    UnitValue,
)

# Membership and contributory unit -------------------------------------------


class MembershipChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        # The unit for the year comes with the arrears annotation, once for
        # the page (Membership.annual_dues_chf() would look it up per row).
        year = timezone.localdate().year
        for membership in self.result_list:
            membership.dues_this_year = membership.annual_dues_chf(
                year, member_state_unit=membership.member_state_unit_chf
            )


@admin.register(Membership)
class MembershipAdmin(MembershipFormMixin, HistoryAdmin):
    list_display = [
        "partner",
        "type",
        "sector",
        "contribution_class_display",
        "annual_dues",
        "status",
        "arrears_chf",
        "arrears_as_of",
        "arrears_consequence",
    ]
    list_filter = [
        ArrearsConsequenceFilter,
        "type",
        "sector",
        "status",
        (
            "partner__country__itu_region",
            titled(admin.ChoicesFieldListFilter, _("ITU region")),
        ),
        "reduced_class_approved",
    ]
    search_fields = [
        "partner__name",
        "partner__short_name",
        "partner__country__name_en",
        "=partner__country__iso3",
    ]
    list_select_related = ["partner"]
    autocomplete_fields = ["partner"]
    readonly_fields = ["annual_dues_now"]
    fieldsets = [
        (None, {"fields": ["partner", "type", "sector", "status"]}),
        (
            _("Contribution"),
            {
                "fields": [
                    "contribution_class",
                    "reduced_class_approved",
                    "annual_dues_now",
                ]
            },
        ),
        (_("Dates"), {"fields": ["start_date", "end_date"]}),
        (_("Arrears"), {"fields": ["arrears_chf", "arrears_as_of"]}),
    ]

    def get_changelist(self, request, **kwargs):
        return MembershipChangeList

    def get_queryset(self, request):
        return super().get_queryset(request).with_arrears_consequence()

    @admin.display(description=_("arrears consequence"), ordering="consequence")
    def arrears_consequence(self, obj: Membership) -> str:
        consequence = obj.arrears_consequence()
        if consequence == Membership.ArrearsConsequence.NONE:
            return "—"
        return consequence.label

    @admin.display(description=_("class"), ordering="contribution_class")
    def contribution_class_display(self, obj: Membership) -> str:
        return obj.class_display

    @admin.display(description=_("annual dues this year (CHF)"))
    def annual_dues(self, obj: Membership):
        dues = getattr(obj, "dues_this_year", None)
        return format_amount(dues) if dues is not None else None

    @admin.display(description=_("annual dues this year (CHF)"))
    def annual_dues_now(self, obj: Membership):
        if obj.pk is None or obj.contribution_class is None:
            return None
        return format_amount(obj.annual_dues_chf())


@admin.register(UnitValue)
class UnitValueAdmin(admin.ModelAdmin):
    list_display = ["year", "member_state_unit_chf", "sector_member_unit"]
    search_fields = ["=year"]
    readonly_fields = ["sector_member_unit"]
    fields = ["year", "member_state_unit_chf", "sector_member_unit"]

    @admin.display(description=_("Sector Member unit (CHF)"))
    def sector_member_unit(self, obj: UnitValue):
        if obj.member_state_unit_chf is None:
            return None
        return obj.sector_member_unit_chf.quantize(obj.member_state_unit_chf)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "partner_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        # A count drops Meta.ordering: the autocomplete pages by name.
        return (
            super()
            .get_queryset(request)
            .annotate(n_partners=Count("partner"))
            .order_by("name")
        )

    @admin.display(description=_("partners"), ordering="n_partners")
    def partner_count(self, obj: Tag):
        count = getattr(obj, "n_partners", 0)
        if not count:
            return 0
        return format_html(
            '<a href="{}">{}</a>',
            changelist_url(Partner, tags__id__exact=obj.pk),
            count,
        )
