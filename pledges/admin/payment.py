"""Installments, payments and reductions."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from crm.admin_concurrency import VersionedAdminMixin
from crm.admin_helpers import titled
from crm.history import HistoryAdmin
from crm.imports.admin import ImportMixin
from documents.admin import DocumentInline
from pledges import services
from pledges.admin.common import PLEDGES_CSS, money_cell
from pledges.filters import (
    DueYearFilter,
    InstallmentStatusFilter,
    PledgePartnerFilter,
    ReceivedYearFilter,
    ReducedYearFilter,
    RefundFilter,
)
from pledges.forms import (
    PaymentForm,
)
from pledges.models import (
    Installment,
    Payment,
    Pledge,
    PledgeReduction,
)
from pledges.resources import PaymentResource


@admin.register(Installment)
class InstallmentAdmin(VersionedAdminMixin, HistoryAdmin):
    list_display = [
        "due_date",
        "pledge",
        "partner",
        "amount_display",
        "paid",
        "status",
    ]
    list_filter = [
        InstallmentStatusFilter,
        DueYearFilter,
        ("pledge__stage", titled(admin.ChoicesFieldListFilter, _("pledge stage"))),
        ("pledge__lever", titled(admin.RelatedFieldListFilter, _("lever"))),
        PledgePartnerFilter,
    ]
    search_fields = [
        "pledge__title",
        "pledge__partner__name",
        "pledge__partner__short_name",
        "pledge__agreement_reference",
        "note",
    ]
    list_select_related = ["pledge", "pledge__partner"]
    autocomplete_fields = ["pledge"]
    fields = ["pledge", "due_date", "amount", "note"]
    date_hierarchy = "due_date"
    ordering = ["due_date", "pk"]

    class Media:
        css = PLEDGES_CSS

    def get_queryset(self, request):
        # The pledge is in every row's name, in this list and in autocompletes.
        return (
            super()
            .get_queryset(request)
            .with_coverage()
            .select_related("pledge", "pledge__partner")
        )

    @admin.display(description=_("partner"), ordering="pledge__partner__name")
    def partner(self, obj: Installment):
        return obj.pledge.partner

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: Installment) -> str:
        return money_cell(obj.amount, obj.pledge.currency)

    @admin.display(description=_("paid"), ordering="paid_amount")
    def paid(self, obj: Installment) -> str:
        return money_cell(getattr(obj, "paid_amount", None), obj.pledge.currency)

    @admin.display(description=_("status"))
    def status(self, obj: Installment) -> str:
        if getattr(obj, "is_covered", False):
            return _("covered")
        if getattr(obj, "is_overdue", False):
            return format_html('<span class="crm-overdue">{}</span>', _("overdue"))
        if obj.pledge.stage in Pledge.Stage.COMMITTED:
            return _("due")
        return obj.pledge.get_stage_display()


@admin.register(Payment)
class PaymentAdmin(ImportMixin, VersionedAdminMixin, HistoryAdmin):
    importers = ("payments",)
    resource_classes = [PaymentResource]
    form = PaymentForm
    list_display = [
        "received_on",
        "pledge",
        "partner",
        "amount_display",
        "amount_chf_display",
        "rate",
        "reference",
    ]
    list_filter = [
        RefundFilter,
        ReceivedYearFilter,
        "currency",
        ("pledge__lever", titled(admin.RelatedFieldListFilter, _("lever"))),
        (
            "pledge__partner__category",
            titled(admin.ChoicesFieldListFilter, _("partner category")),
        ),
        PledgePartnerFilter,
    ]
    search_fields = [
        "reference",
        "external_id",
        "pledge__title",
        "pledge__partner__name",
        "pledge__partner__short_name",
    ]
    list_select_related = ["pledge", "pledge__partner"]
    autocomplete_fields = ["pledge", "installment"]
    readonly_fields = [
        "amount_chf",
        "chf_rate",
        "amount_in_pledge_currency",
        "pledge_rate",
        "rate_source",
        "created_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "pledge",
                    "installment",
                    "received_on",
                    ("amount", "currency"),
                    "reference",
                    "notes",
                ]
            },
        ),
        (
            _("Conversion (rates of the payment date)"),
            {
                "fields": [
                    ("amount_chf", "chf_rate"),
                    ("amount_in_pledge_currency", "pledge_rate"),
                    "rate_source",
                ]
            },
        ),
        (
            _("Record"),
            {
                "fields": [("external_source", "external_id"), "created_at"],
                "classes": ["collapse"],
            },
        ),
    ]
    inlines = [DocumentInline]
    date_hierarchy = "received_on"

    class Media:
        css = PLEDGES_CSS

    def save_model(self, request, obj, form, change):
        services.payment_save(payment=obj)

    def delete_model(self, request, obj):
        services.payment_delete(payment=obj)

    def delete_queryset(self, request, queryset):
        for payment in queryset.select_related("pledge"):
            services.payment_delete(payment=payment)

    @admin.display(description=_("partner"), ordering="pledge__partner__name")
    def partner(self, obj: Payment):
        return obj.pledge.partner

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: Payment) -> str:
        text = money_cell(obj.amount, obj.currency)
        if obj.is_refund:
            return format_html(
                '{} <span class="crm-badge">{}</span>', text, _("refund")
            )
        return text

    @admin.display(description=_("amount (CHF)"), ordering="amount_chf")
    def amount_chf_display(self, obj: Payment) -> str:
        return money_cell(obj.amount_chf)

    @admin.display(description=_("CHF per unit"), ordering="chf_rate")
    def rate(self, obj: Payment) -> Decimal:
        return obj.chf_rate.normalize()


@admin.register(PledgeReduction)
class PledgeReductionAdmin(HistoryAdmin):
    """Reductions to list, filter and audit; read only.

    They are made by imports and the pledge's Reduce page
    (``services.pledge_reduce``), which change the pledge with them.
    """

    list_display = [
        "reduced_on",
        "pledge",
        "partner",
        "amount_display",
        "withdraws",
        "reference",
    ]
    list_filter = [
        ReducedYearFilter,
        "withdraws",
        "external_source",
        ("pledge__lever", titled(admin.RelatedFieldListFilter, _("lever"))),
        PledgePartnerFilter,
    ]
    search_fields = [
        "reason",
        "external_id",
        "pledge__title",
        "pledge__external_id",
        "pledge__partner__name",
        "pledge__partner__short_name",
    ]
    list_select_related = ["pledge", "pledge__partner"]
    fields = [
        "pledge",
        "reduced_on",
        "amount",
        "withdraws",
        "reason",
        ("external_source", "external_id"),
        "import_batch",
        "created_at",
    ]
    date_hierarchy = "reduced_on"

    class Media:
        css = PLEDGES_CSS

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("partner"), ordering="pledge__partner__name")
    def partner(self, obj: PledgeReduction):
        return obj.pledge.partner

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: PledgeReduction) -> str:
        return money_cell(obj.amount, obj.pledge.currency)

    @admin.display(description=_("made by"), ordering="external_id")
    def reference(self, obj: PledgeReduction) -> str:
        return obj.external_reference
