"""The pledge admin: list, form, inlines, schedule and reduction pages, actions."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm.admin_concurrency import VersionedAdminMixin, VersionedInlineMixin
from crm.admin_helpers import titled
from crm.history import HistoryAdmin
from crm.imports.admin import ImportMixin
from crm.lib.formats import format_money, percent_of
from documents.admin import DocumentInline
from pledges import services
from pledges.admin.common import PLEDGES_CSS, money_cell
from pledges.filters import (
    OverduePledgeFilter,
    PledgePartnerFilter,
    PledgeYearFilter,
)
from pledges.forms import (
    CloseForm,
    InstallmentInlineFormSet,
    PaymentForm,
    PledgeForm,
    ReduceForm,
    ScheduleForm,
)
from pledges.models import (
    Installment,
    Payment,
    Pledge,
    PledgeReduction,
)
from pledges.resources import PledgeResource

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
    importers = ("pledges", "fts")
    resource_classes = [PledgeResource]
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
    inlines = [InstallmentInline, PaymentInline, ReductionInline, DocumentInline]
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
        text = _("%(rate)s CHF per %(currency)s, rate of %(date)s") % {
            "rate": obj.chf_rate.normalize(),
            "currency": obj.currency,
            "date": obj.rate_date.isoformat(),
        }
        if not obj.rate_source:
            return text
        return format_html(
            '{}<div class="crm-quiet">{} {}</div>',
            text,
            _("Source:"),
            obj.rate_source,
        )

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
