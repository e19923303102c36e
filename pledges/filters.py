"""List filters of the pledges admin (pledges, installments, payments, levers)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Max, Min
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.admin import YearListFilter
from partners.filters import SelectedObjectFilter
from partners.models import Partner
from pledges.models import Installment, Payment, Pledge


class PledgeYearFilter(admin.SimpleListFilter):
    """The pledge's year: pledge date, else expected date, else entry date."""

    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        span = Pledge.objects.aggregate(
            first=Min(Coalesce("pledged_on", "expected_by")),
            last=Max(Coalesce("pledged_on", "expected_by")),
        )
        this_year = timezone.localdate().year
        first = span["first"].year if span["first"] else this_year
        last = max(span["last"].year if span["last"] else this_year, this_year)
        return [(str(year), str(year)) for year in range(last, first - 1, -1)]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.for_year(int(value))
        return queryset


class OverduePledgeFilter(admin.SimpleListFilter):
    # The admin shows "By <title>": a noun in French ("Par retard").
    title = pgettext_lazy("list filter title", "overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue installments")), ("no", _("Nothing overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        if self.value() == "no":
            return queryset.exclude(pk__in=Pledge.objects.overdue().values("pk"))
        return queryset


class InstallmentStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue")),
            ("soon", _("Due in the next 90 days")),
            ("owed", _("Not yet covered (pledged or signed)")),
            ("covered", _("Covered by payments")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "overdue":
            return queryset.overdue()
        if value == "soon":
            return queryset.due_soon(days=90)
        if value == "owed":
            return queryset.owed()
        if value == "covered":
            return queryset.exclude(pk__in=Installment.objects.uncovered().values("pk"))
        return queryset


class DueYearFilter(YearListFilter):
    date_field = "due_date"


class ReceivedYearFilter(YearListFilter):
    date_field = "received_on"


class ReducedYearFilter(YearListFilter):
    date_field = "reduced_on"


class RefundFilter(admin.SimpleListFilter):
    title = _("kind of payment")
    parameter_name = "refund"

    def lookups(self, request, model_admin):
        return [("no", _("Payments")), ("yes", _("Refunds"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.refunds()
        if self.value() == "no":
            return queryset.filter(amount__gt=0)
        return queryset


class PledgePartnerFilter(SelectedObjectFilter):
    """Appears once the partner page links to "its" pledges, payments or dues."""

    title = _("partner")
    parameter_name = "partner"
    model = Partner

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if queryset.model is Pledge:
            return queryset.filter(partner=self.value())
        return queryset.filter(pledge__partner=self.value())


class FiguresYearFilter(admin.SimpleListFilter):
    """Chooses the year the lever figures are computed for; filters nothing."""

    title = _("figures for year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        this_year = timezone.localdate().year
        years = range(this_year + 1, this_year - 5, -1)
        return [(str(year), str(year)) for year in years]

    def value(self):
        return super().value() or str(timezone.localdate().year)

    def choices(self, changelist):
        # No "All" entry: without a parameter the figures are this year's.
        choices = super().choices(changelist)
        next(choices)
        yield from choices

    def queryset(self, request, queryset):
        return queryset


def figures_year(request: HttpRequest) -> int:
    value = request.GET.get(FiguresYearFilter.parameter_name, "")
    return int(value) if value.isdigit() else timezone.localdate().year


class PartnerPledgeFilter(admin.SimpleListFilter):
    title = _("pledges")
    parameter_name = "pledges"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue installments")),
            ("open", _("Open pledges")),
            ("received", _("Paid this year")),
            ("none", _("No pledges")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "overdue":
            return queryset.filter(pk__in=Pledge.objects.overdue().values("partner"))
        if value == "open":
            return queryset.filter(pk__in=Pledge.objects.open().values("partner"))
        if value == "received":
            year = timezone.localdate().year
            return queryset.filter(
                pk__in=Payment.objects.received_in(year).values("pledge__partner")
            )
        if value == "none":
            return queryset.exclude(pk__in=Pledge.objects.values("partner"))
        return queryset
