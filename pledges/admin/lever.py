"""Levers and their yearly targets."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Value
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from crm.admin_helpers import changelist_url, display_name
from crm.lib.formats import percent_of
from pledges.admin.common import PLEDGES_CSS, money_cell
from pledges.filters import (
    FiguresYearFilter,
    figures_year,
)
from pledges.models import (
    Lever,
    Payment,
    Pledge,
    Target,
)

# Levers and targets -----------------------------------------------------------


@admin.register(Lever)
class LeverAdmin(admin.ModelAdmin):
    list_display = [
        display_name,
        "code",
        "is_active",
        "target",
        "received",
        "weighted_pipeline",
        "percent_of_target",
        "projected_percent",
    ]
    list_filter = [FiguresYearFilter, "is_active"]
    search_fields = ["name", "name_fr", "code", "description"]
    fields = ["code", "name", "name_fr", "description", "position", "is_active"]

    class Media:
        css = PLEDGES_CSS

    def get_queryset(self, request):
        year = figures_year(request)
        return (
            super()
            .get_queryset(request)
            .with_year_figures(year)
            .annotate(figures_year=Value(year))
        )

    @admin.display(description=_("target (CHF)"), ordering="target_chf")
    def target(self, obj: Lever) -> str:
        return money_cell(getattr(obj, "target_chf", None), "")

    @admin.display(description=_("received (CHF)"), ordering="received_chf")
    def received(self, obj: Lever):
        url = changelist_url(
            Payment,
            pledge__lever__id__exact=obj.pk,
            year=self._year(obj),
        )
        return format_html('<a href="{}">{}</a>', url, money_cell(obj.received_chf, ""))

    @admin.display(
        description=_("weighted pipeline (CHF)"), ordering="weighted_pipeline_chf"
    )
    def weighted_pipeline(self, obj: Lever):
        url = changelist_url(
            Pledge,
            lever__id__exact=obj.pk,
            year=self._year(obj),
            stage__in=",".join(Pledge.Stage.OPEN),
        )
        return format_html(
            '<a href="{}">{}</a>', url, money_cell(obj.weighted_pipeline_chf, "")
        )

    @admin.display(description=_("received / target"))
    def percent_of_target(self, obj: Lever) -> str:
        return percent_of(obj.received_chf, getattr(obj, "target_chf", None))

    @admin.display(description=_("with weighted pipeline"))
    def projected_percent(self, obj: Lever) -> str:
        return percent_of(
            obj.received_chf + obj.weighted_pipeline_chf,
            getattr(obj, "target_chf", None),
        )

    @staticmethod
    def _year(obj: Lever) -> int:
        return getattr(obj, "figures_year", None) or timezone.localdate().year


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = [
        "year",
        "lever_name",
        "amount_display",
        "received",
        "weighted_pipeline",
        "percent_of_target",
    ]
    list_filter = ["year", "lever"]
    search_fields = ["lever__name", "lever__code", "notes"]
    list_select_related = ["lever"]
    autocomplete_fields = ["lever"]
    fields = ["year", "lever", "amount_chf", "notes"]

    class Media:
        css = PLEDGES_CSS

    def get_queryset(self, request):
        return super().get_queryset(request).with_progress()

    @admin.display(description=_("lever"), ordering="lever__position")
    def lever_name(self, obj: Target) -> str:
        return obj.lever.name if obj.lever_id else _("All levers")

    @admin.display(description=_("target (CHF)"), ordering="amount_chf")
    def amount_display(self, obj: Target) -> str:
        return money_cell(obj.amount_chf, "")

    @admin.display(description=_("received (CHF)"), ordering="received_chf")
    def received(self, obj: Target) -> str:
        return money_cell(obj.received_chf, "")

    @admin.display(
        description=_("weighted pipeline (CHF)"), ordering="weighted_pipeline_chf"
    )
    def weighted_pipeline(self, obj: Target) -> str:
        return money_cell(obj.weighted_pipeline_chf, "")

    @admin.display(description=_("received / target"))
    def percent_of_target(self, obj: Target) -> str:
        return percent_of(obj.received_chf, obj.amount_chf)
