"""Admin for levers, targets, pledges, installments, payments and reductions.

Also replaces the partner admin with a subclass that adds the pledge roll-ups
to the partner list and a "Pledges and payments" panel to the partner page,
and adds a resource-mobilization panel to the start page.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Value
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm.admin import ADMIN_CSS
from crm.admin_concurrency import VersionedAdminMixin, VersionedInlineMixin
from crm.admin_helpers import changelist_url, titled
from crm.admin_site import Panel
from crm.history import HistoryAdmin
from crm.imports.admin import ImportMixin
from crm.lib.formats import format_money, percent_of
from partners.admin import PartnerAdmin as BasePartnerAdmin
from partners.models import Partner
from pledges import dashboard, services
from pledges.filters import (
    DueYearFilter,
    FiguresYearFilter,
    InstallmentStatusFilter,
    OverduePledgeFilter,
    PartnerPledgeFilter,
    PledgePartnerFilter,
    PledgeYearFilter,
    ReceivedYearFilter,
    ReducedYearFilter,
    RefundFilter,
    figures_year,
)
from pledges.forms import (
    CloseForm,
    InstallmentInlineFormSet,
    PaymentForm,
    PledgeForm,
    ReduceForm,
    ScheduleForm,
)
from pledges.managers import with_pledge_rollups
from pledges.models import (
    Installment,
    Lever,
    Payment,
    Pledge,
    PledgeReduction,
    Target,
)

PLEDGES_CSS = {"all": [*ADMIN_CSS["all"], "pledges/admin.css"]}


def money_cell(amount: Decimal | None, currency: str = "CHF") -> str:
    """``format_money()`` kept on one line in a list column."""
    text = format_money(amount, currency)
    return format_html('<span class="crm-nowrap">{}</span>', text) if text else ""


# Pledges ----------------------------------------------------------------------


class InstallmentInline(VersionedInlineMixin, admin.TabularInline):
    model = Installment
    formset = InstallmentInlineFormSet
    fields = ["due_date", "amount", "note", "coverage"]
    readonly_fields = ["coverage"]
    extra = 0
    verbose_name_plural = _("schedule (payments cover installments in due-date order)")

    def get_queryset(self, request):
        return super().get_queryset(request).with_coverage()

    @admin.display(description=_("status"))
    def coverage(self, obj: Installment) -> str:
        if obj.pk is None or not hasattr(obj, "is_covered"):
            return ""
        if obj.is_covered:
            return _("covered")
        if obj.is_overdue:
            return format_html(
                '<span class="crm-overdue">{}</span>',
                _("overdue, %(paid)s paid")
                % {"paid": format_money(obj.paid_amount, "")}
                if obj.paid_amount
                else _("overdue"),
            )
        if obj.paid_amount:
            return _("%(paid)s paid") % {"paid": format_money(obj.paid_amount, "")}
        return _("due")


class PaymentInline(VersionedInlineMixin, admin.TabularInline):
    model = Payment
    form = PaymentForm
    fk_name = "pledge"
    fields = [
        "received_on",
        "amount",
        "currency",
        "installment",
        "reference",
        "chf",
    ]
    readonly_fields = ["chf"]
    extra = 0
    show_change_link = True
    verbose_name_plural = _("payments (a refund is a negative payment)")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields.get("installment")
        if field is not None:
            # base_fields belongs to the form class built for this request.
            field.queryset = (
                Installment.objects.filter(pledge=obj).select_related("pledge")
                if obj is not None and obj.pk
                else Installment.objects.none()
            )
        return formset

    @admin.display(description=_("CHF (rate)"))
    def chf(self, obj: Payment) -> str:
        if obj.pk is None:
            return ""
        return format_html(
            '{}<div class="crm-quiet">{}</div>',
            format_money(obj.amount_chf),
            obj.chf_rate.normalize(),
        )


class ReductionInline(admin.TabularInline):
    """Read only: reductions come from imports and the pledge's Reduce page."""

    model = PledgeReduction
    fields = ["reduced_on", "amount_display", "withdraws", "reason", "reference"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("reductions (taken off the amount pledged)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("pledge")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("amount"))
    def amount_display(self, obj: PledgeReduction) -> str:
        return money_cell(obj.amount, obj.pledge.currency)

    @admin.display(description=_("made by"))
    def reference(self, obj: PledgeReduction) -> str:
        return obj.external_reference


@admin.register(Pledge)
class PledgeAdmin(ImportMixin, VersionedAdminMixin, HistoryAdmin):
    import_resources = ("pledges", "fts")
    form = PledgeForm
    list_display = [
        "partner",
        "title",
        "stage",
        "lever",
        "amount_with_chf",
        "received_percent",
        "next_due",
        "overdue",
    ]
    list_display_links = ["title"]
    list_filter = [
        "stage",
        "lever",
        "earmarking",
        "kind",
        PledgeYearFilter,
        (
            "partner__country__itu_region",
            titled(admin.ChoicesFieldListFilter, _("ITU region")),
        ),
        (
            "partner__category",
            titled(admin.ChoicesFieldListFilter, _("partner category")),
        ),
        OverduePledgeFilter,
        PledgePartnerFilter,
    ]
    search_fields = [
        "title",
        "partner__name",
        "partner__short_name",
        "partner__code",
        "agreement_reference",
        "external_id",
        "payments__reference",
    ]
    list_select_related = ["partner", "lever"]
    autocomplete_fields = ["partner", "event", "owner"]
    readonly_fields = [
        "amount_chf_display",
        "rate_display",
        "received_summary",
        "reductions_summary",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "partner",
                    "title",
                    "lever",
                    ("stage", "probability"),
                    ("kind", "earmarking"),
                    "purpose",
                ]
            },
        ),
        (
            _("Amount"),
            {
                "fields": [
                    ("amount", "currency"),
                    "amount_chf_display",
                    "rate_display",
                    "received_summary",
                    "reductions_summary",
                ]
            },
        ),
        (
            _("Dates"),
            {
                "fields": [
                    ("pledged_on", "agreement_signed_on"),
                    ("period_start", "period_end"),
                    "expected_by",
                ]
            },
        ),
        (
            _("Context"),
            {"fields": ["event", "owner", "agreement_reference", "notes"]},
        ),
        (
            _("Declined or withdrawn"),
            {"fields": ["closed_on", "closed_reason"], "classes": ["collapse"]},
        ),
        (
            _("Record"),
            {
                "fields": [
                    ("external_source", "external_id"),
                    "created_at",
                    "updated_at",
                ],
                "classes": ["collapse"],
            },
        ),
    ]
    inlines = [InstallmentInline, PaymentInline, ReductionInline]
    actions = ["generate_schedule", "mark_declined", "mark_withdrawn"]
    date_hierarchy = "pledged_on"
    view_on_site = False

    class Media:
        css = PLEDGES_CSS

    def get_queryset(self, request):
        return super().get_queryset(request).with_figures()

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self._reductions(obj):
            return fieldsets
        return [
            (
                name,
                {
                    **options,
                    "fields": [
                        f for f in options["fields"] if f != "reductions_summary"
                    ],
                },
            )
            for name, options in fieldsets
        ]

    def get_inlines(self, request, obj):
        # Only a pledge that was reduced shows its reductions: an empty table
        # that nobody can add to would sit on every other pledge's page.
        inlines = super().get_inlines(request, obj)
        if self._reductions(obj):
            return inlines
        return [inline for inline in inlines if inline is not ReductionInline]

    @staticmethod
    def _reductions(obj: Pledge | None) -> list[PledgeReduction]:
        """The pledge's reductions, read once for the page."""
        if obj is None or obj.pk is None:
            return []
        if not hasattr(obj, "_page_reductions"):
            obj._page_reductions = list(obj.reductions.all())
        return obj._page_reductions

    def get_changeform_initial_data(self, request):
        return {
            "owner": request.user.pk,
            **super().get_changeform_initial_data(request),
        }

    def get_urls(self):
        opts = self.opts
        return [
            path(
                "<path:object_id>/schedule/",
                self.admin_site.admin_view(self.schedule_view),
                name=f"{opts.app_label}_{opts.model_name}_schedule",
            ),
            path(
                "<path:object_id>/reduce/",
                self.admin_site.admin_view(self.reduce_view),
                name=f"{opts.app_label}_{opts.model_name}_reduce",
            ),
            *super().get_urls(),
        ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Payments entered inline may fulfil the pledge, or a refund undo that.
        if services.pledge_update_stage(pledge=form.instance):
            self.message_user(
                request,
                _("The payments move “%(pledge)s” to stage “%(stage)s”.")
                % {"pledge": form.instance, "stage": form.instance.get_stage_display()},
                messages.INFO,
            )

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        if obj is not None and obj.pk and self.has_change_permission(request, obj):
            context["schedule_url"] = reverse(
                "admin:pledges_pledge_schedule", args=[obj.pk]
            )
            if obj.stage in Pledge.Stage.PAYABLE:
                context["reduce_url"] = reverse(
                    "admin:pledges_pledge_reduce", args=[obj.pk]
                )
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    # Columns -----------------------------------------------------------------

    @admin.display(description=_("amount (CHF)"), ordering="amount_chf")
    def amount_with_chf(self, obj: Pledge) -> str:
        if obj.currency == "CHF":
            return format_html(
                '<span class="crm-nowrap">{}</span>',
                format_money(obj.amount, obj.currency),
            )
        return format_html(
            '<span class="crm-nowrap">{}</span><div class="crm-quiet crm-nowrap">{}'
            "</div>",
            format_money(obj.amount, obj.currency),
            format_money(obj.amount_chf),
        )

    @admin.display(description=_("amount (CHF)"), ordering="amount_chf")
    def amount_chf_display(self, obj: Pledge) -> str:
        return format_money(obj.amount_chf) if obj.pk else ""

    @admin.display(description=_("rate used"))
    def rate_display(self, obj: Pledge) -> str:
        if obj.pk is None:
            return ""
        return _("%(rate)s CHF per %(currency)s, rate of %(date)s") % {
            "rate": obj.chf_rate.normalize(),
            "currency": obj.currency,
            "date": obj.rate_date.isoformat(),
        }

    @admin.display(description=_("received"))
    def received_percent(self, obj: Pledge) -> str:
        if obj.stage in Pledge.Stage.PIPELINE or obj.stage == Pledge.Stage.DECLINED:
            return ""
        return percent_of(getattr(obj, "received_amount", None), obj.amount)

    @admin.display(description=_("received"))
    def received_summary(self, obj: Pledge) -> str:
        if obj.pk is None or not hasattr(obj, "received_amount"):
            return ""
        parts = [
            _("%(received)s received (%(chf)s), %(percent)s")
            % {
                "received": format_money(obj.received_amount, obj.currency),
                "chf": format_money(obj.received_chf),
                "percent": percent_of(obj.received_amount, obj.amount),
            }
        ]
        if obj.outstanding_amount:
            parts.append(
                _("%(outstanding)s outstanding (%(chf)s at the pledge rate)")
                % {
                    "outstanding": format_money(obj.outstanding_amount, obj.currency),
                    "chf": format_money(obj.outstanding_chf),
                }
            )
        if obj.overdue_amount:
            parts.append(
                format_html(
                    '<span class="crm-overdue">{}</span>',
                    _("%(overdue)s overdue")
                    % {"overdue": format_money(obj.overdue_amount, obj.currency)},
                )
            )
        if obj.weighted_chf:
            parts.append(
                _("weighted value %(weighted)s")
                % {"weighted": format_money(obj.weighted_chf)}
            )
        return format_html_join(mark_safe("<br>"), "{}", ((part,) for part in parts))

    @admin.display(description=_("reductions"))
    def reductions_summary(self, obj: Pledge) -> str:
        parts = []
        lowering = [r for r in self._reductions(obj) if not r.withdraws]
        if lowering:
            taken = sum((r.amount for r in lowering), Decimal(0))
            parts.append(
                ngettext(
                    "%(before)s pledged, %(taken)s taken off by %(count)d reduction",
                    "%(before)s pledged, %(taken)s taken off by %(count)d reductions",
                    len(lowering),
                )
                % {
                    "before": format_money(obj.amount + taken, obj.currency),
                    "taken": format_money(taken, obj.currency),
                    "count": len(lowering),
                }
            )
        for reduction in self._reductions(obj):
            if reduction.withdraws:
                parts.append(
                    _("Withdrawn by the reduction of %(date)s")
                    % {"date": reduction.reduced_on.isoformat()}
                )
        return format_html_join(mark_safe("<br>"), "{}", ((part,) for part in parts))

    @admin.display(description=_("next due"), ordering="next_due_on")
    def next_due(self, obj: Pledge) -> str:
        due = getattr(obj, "next_due_on", None)
        if due is None:
            return ""
        return format_html('<span class="crm-nowrap">{}</span>', due.isoformat())

    @admin.display(description=_("overdue"), ordering="overdue_amount")
    def overdue(self, obj: Pledge) -> str:
        if not getattr(obj, "is_overdue", False):
            return ""
        return format_html(
            '<span class="crm-overdue crm-nowrap">{}</span>',
            format_money(obj.overdue_amount, obj.currency),
        )

    # Actions -----------------------------------------------------------------

    @admin.action(description=_("Generate a payment schedule…"), permissions=["change"])
    def generate_schedule(self, request, queryset):
        if "apply" in request.POST:
            form = ScheduleForm(request.POST)
            if form.is_valid():
                self._apply_schedule(request, queryset, form)
                return None
        else:
            form = ScheduleForm()
        return self._intermediate_page(
            request,
            queryset,
            form,
            template="admin/pledges/pledge/schedule.html",
            title=_("Generate a payment schedule"),
            action="generate_schedule",
        )

    @admin.action(description=_("Mark declined…"), permissions=["change"])
    def mark_declined(self, request, queryset):
        return self._close(request, queryset, services.pledge_decline, "mark_declined")

    @admin.action(description=_("Mark withdrawn…"), permissions=["change"])
    def mark_withdrawn(self, request, queryset):
        return self._close(
            request, queryset, services.pledge_withdraw, "mark_withdrawn"
        )

    def _close(self, request, queryset, service, action: str):
        if "apply" in request.POST:
            form = CloseForm(request.POST)
            if form.is_valid():
                done, refused = 0, []
                for pledge in queryset:
                    try:
                        service(
                            pledge=pledge,
                            reason=form.cleaned_data["reason"],
                            on=form.cleaned_data["on"],
                        )
                        done += 1
                        self.log_change(
                            request,
                            pledge,
                            _("Marked %(stage)s: %(reason)s")
                            % {
                                "stage": pledge.get_stage_display().lower(),
                                "reason": pledge.closed_reason,
                            },
                        )
                    except ValidationError as error:
                        refused.extend(error.messages)
                self._report(
                    request,
                    done,
                    refused,
                    ngettext(
                        "%(count)d pledge closed.",
                        "%(count)d pledges closed.",
                        done,
                    ),
                )
                return None
        else:
            form = CloseForm()
        title = (
            _("Mark pledges declined")
            if action == "mark_declined"
            else _("Mark pledges withdrawn")
        )
        return self._intermediate_page(
            request,
            queryset,
            form,
            template="admin/pledges/pledge/close.html",
            title=title,
            action=action,
        )

    def _apply_schedule(self, request, queryset, form: ScheduleForm) -> int:
        done, refused = 0, []
        for pledge in queryset:
            try:
                installments = services.pledge_generate_schedule(
                    pledge=pledge, **form.cleaned_data
                )
                done += 1
                self.log_change(
                    request,
                    pledge,
                    _("Generated a schedule of %(count)d installments.")
                    % {"count": len(installments)},
                )
            except ValidationError as error:
                refused.extend(error.messages)
        self._report(
            request,
            done,
            refused,
            ngettext(
                "Schedule generated for %(count)d pledge.",
                "Schedules generated for %(count)d pledges.",
                done,
            ),
        )
        return done

    def _report(self, request, done: int, refused: list[str], message: str) -> None:
        if done:
            self.message_user(request, message % {"count": done}, messages.SUCCESS)
        for text in refused:
            self.message_user(request, text, messages.WARNING)

    def _intermediate_page(self, request, queryset, form, *, template, title, action):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "form": form,
            "pledges": list(queryset.select_related("partner")),
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, template, context)

    def reduce_view(self, request, object_id):
        """Take an amount off one pledge, linked from its change form."""
        pledge = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_change_permission(request, pledge):
            raise PermissionDenied
        change_url = reverse("admin:pledges_pledge_change", args=[pledge.pk])
        if request.method == "POST":
            form = ReduceForm(request.POST)
            if form.is_valid():
                try:
                    reduction = services.pledge_reduce(
                        pledge=pledge,
                        by=form.cleaned_data["amount"],
                        on=form.cleaned_data["on"],
                        reason=form.cleaned_data["reason"],
                    )
                except ValidationError as error:
                    form.add_error(None, error.messages)
                    # The service may have changed it before refusing.
                    pledge = get_object_or_404(self.get_queryset(request), pk=pledge.pk)
                else:
                    message = (
                        _("Withdrawn by a reduction of %(amount)s: %(reason)s")
                        if reduction.withdraws
                        else _("Reduced by %(amount)s: %(reason)s")
                    ) % {
                        "amount": format_money(reduction.amount, pledge.currency),
                        "reason": reduction.reason,
                    }
                    self.log_change(request, pledge, message)
                    self.message_user(request, message, messages.SUCCESS)
                    return redirect(change_url)
        else:
            form = ReduceForm()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reduce the amount"),
            "opts": self.opts,
            "original": pledge,
            "form": form,
            "pledges": [pledge],
            "change_url": change_url,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/pledges/pledge/reduce.html", context)

    def schedule_view(self, request, object_id):
        """The schedule page for one pledge, linked from its change form."""
        pledge = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_change_permission(request, pledge):
            raise PermissionDenied
        change_url = reverse("admin:pledges_pledge_change", args=[pledge.pk])
        if request.method == "POST":
            form = ScheduleForm(request.POST)
            if form.is_valid() and self._apply_schedule(
                request, Pledge.objects.filter(pk=pledge.pk), form
            ):
                return HttpResponseRedirect(change_url)
        else:
            form = ScheduleForm(initial={"replace": pledge.scheduled_amount > 0})
        context = {
            **self.admin_site.each_context(request),
            "title": _("Generate a payment schedule"),
            "opts": self.opts,
            "original": pledge,
            "form": form,
            "pledges": [pledge],
            "change_url": change_url,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/pledges/pledge/schedule.html", context)


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
    import_resources = ("payments",)
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


# Levers and targets -----------------------------------------------------------


@admin.register(Lever)
class LeverAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "is_active",
        "target",
        "received",
        "weighted_pipeline",
        "percent_of_target",
        "projected_percent",
    ]
    list_filter = [FiguresYearFilter, "is_active"]
    search_fields = ["name", "code", "description"]
    fields = ["code", "name", "description", "position", "is_active"]

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


admin.site.register_start_page_panels(dashboard.start_page_panels, order=20)
