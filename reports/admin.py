"""Admin for meetings and the print log, and the pages that print briefs.

Printing URLs live under the print log (``/admin/reports/printlog/print/...``)
so every entry point, partner and contact pages, the partner list action,
meetings and the start page, links to one set of views. Each view checks the
"can print briefs" permission, prints on the spot or, for a large pack,
queues it and says where to download it.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm.admin import ADMIN_CSS
from crm.admin_confidential import ConfidentialDeleteMixin
from crm.admin_helpers import NotFoundMixin, PanelsMixin
from documents.admin import DocumentInline
from partners.admin.common import ContactPickerMixin
from partners.models import Contact, FollowUp, Partner
from reports.briefs.asks import default_asks
from reports.briefs.build import brief_build
from reports.briefs.data import BriefRequest
from reports.briefs.printing import (
    PRINT_PERMISSION,
    brief_enqueue,
    brief_is_large,
    brief_print,
)
from reports.forms import FollowUpFormSet, MeetingOutcomeForm, followup_initial
from reports.models import Meeting, MeetingPartner, PrintLog
from reports.outcomes import FollowUpRow, meeting_record_outcome

MAX_IDS = 500


def has_outcome():
    """Whether engagements were recorded as the meeting's outcome."""
    return Exists(Meeting.engagements.through.objects.filter(meeting=OuterRef("pk")))


def can_print(request: HttpRequest) -> bool:
    return request.user.has_perm(PRINT_PERMISSION)


def print_language(request: HttpRequest) -> str:
    """``?lang=fr`` if given and known, else the language of the admin page."""
    known = {code for code, _name in settings.LANGUAGES}
    wanted = request.GET.get("lang") or translation.get_language() or "en"
    wanted = wanted.split("-")[0]
    return wanted if wanted in known else settings.LANGUAGE_CODE


def _ids(request: HttpRequest) -> list[int]:
    raw = request.GET.get("ids", "")
    ids = [int(part) for part in raw.split(",") if part.strip().isdigit()]
    return list(dict.fromkeys(ids))[:MAX_IDS]


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(referer)
    return HttpResponseRedirect(default)


def print_response(request: HttpRequest, brief_request: BriefRequest) -> HttpResponse:
    """Print ``brief_request`` for the user: the PDF, or a queued pack's notice."""
    if not can_print(request):
        raise PermissionDenied
    log_list = reverse("admin:reports_printlog_changelist")
    try:
        with translation.override(brief_request.language):
            pack = brief_build(request=brief_request, user=request.user)
        if brief_is_large(pack):
            log = brief_enqueue(
                request=brief_request, user=request.user, title=pack.title
            )
            messages.info(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _(
                        "This pack is large (%(partners)d partners, about %(pages)d "
                        "pages), so it is being prepared in the background."
                    )
                    % {"partners": len(pack.briefs), "pages": pack.estimated_pages},
                    reverse("admin:reports_printlog_change", args=[log.pk]),
                    _("Download it from the print log when it is ready."),
                ),
            )
            return _back(request, log_list)
        filename, content_type, content = brief_print(
            request=brief_request, user=request.user, pack=pack
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return _back(request, log_list)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class MeetingPartnerInline(admin.TabularInline):
    """The partners a meeting covers, each with its ask; an empty ask shows the
    default the pack will print as a placeholder."""

    model = MeetingPartner
    fields = ["partner", "ask"]
    autocomplete_fields = ["partner"]
    min_num = 1
    extra = 0

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "ask":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 70})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        defaults: dict[int, str] = {}
        if obj is not None and obj.pk:
            ids = [row.partner_id for row in obj.meetingpartner_set.all()]
            defaults = default_asks(ids, user=request.user, today=timezone.localdate())

        class WithDefaultAsks(formset):
            def _construct_form(self, i, **kwargs):
                form = super()._construct_form(i, **kwargs)
                default = defaults.get(form.instance.partner_id)
                if default:
                    form.fields["ask"].widget.attrs["placeholder"] = default
                return form

        return WithDefaultAsks


@admin.register(Meeting)
class MeetingAdmin(
    ContactPickerMixin, PanelsMixin, ConfidentialDeleteMixin, admin.ModelAdmin
):
    list_display = [
        "title",
        "starts_at",
        "place",
        "partner_count",
        "outcome_status",
        "pack_link",
    ]
    list_filter = [("staff", admin.RelatedOnlyFieldListFilter)]
    search_fields = [
        "title",
        "place",
        "partners__name",
        "partners__short_name",
        "counterparts__last_name",
    ]
    autocomplete_fields = ["counterparts", "staff"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", ("starts_at", "ends_at"), "place"]}),
        (_("Who"), {"fields": ["counterparts", "staff"]}),
        (_("Preparation"), {"fields": ["objectives", "talking_points"]}),
        (
            _("Record"),
            {
                "fields": ["created_by", "created_at", "updated_at"],
                "classes": ["collapse"],
            },
        ),
    ]
    inlines = [MeetingPartnerInline, DocumentInline]
    actions = ["print_pack"]
    date_hierarchy = "starts_at"
    contact_picker_fields = ("counterparts",)

    class Media:
        css = ADMIN_CSS

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(partner_total=Count("partners"), has_outcome=has_outcome())
        )

    def has_print_brief_permission(self, request) -> bool:
        return can_print(request)

    def has_record_outcome_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("partners.add_engagement") and (
            self.has_view_permission(request, obj)
        )

    def save_model(self, request, obj, form, change):
        if obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("partners"), ordering="partner_total")
    def partner_count(self, obj: Meeting) -> int:
        return obj.partner_total

    @admin.display(description=_("outcome"), ordering="has_outcome")
    def outcome_status(self, obj: Meeting) -> str:
        if obj.has_outcome:
            return _("recorded")
        if obj.starts_at <= timezone.now():
            return format_html('<span class="crm-overdue">{}</span>', _("not yet"))
        return ""

    @admin.display(description=_("pack"))
    def pack_link(self, obj: Meeting) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:reports_print_meeting", args=[obj.pk]),
            _("Download pack"),
        )

    @admin.action(
        description=_("Download one pack for the selected meetings"),
        permissions=["print_brief"],
    )
    def print_pack(self, request, queryset):
        ids = list(queryset.order_by("starts_at").values_list("pk", flat=True))
        return print_response(
            request, BriefRequest.for_meetings(ids, print_language(request))
        )

    # The outcome --------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/outcome/",
                self.admin_site.admin_view(self.outcome_view),
                name="reports_meeting_outcome",
            ),
            *super().get_urls(),
        ]

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        if (
            obj is not None
            and obj.pk
            and self.has_record_outcome_permission(request, obj)
        ):
            context["record_outcome_url"] = reverse(
                "admin:reports_meeting_outcome", args=[obj.pk]
            )
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    def get_panels(self, request, obj):
        """What was recorded from the meeting, as the user may see it."""
        engagements = list(
            obj.engagements.visible_to(request.user)
            .prefetch_related(
                "partners",
                Prefetch(
                    "followups",
                    queryset=FollowUp.objects.select_related("assignee"),
                ),
            )
            .order_by("date", "pk")
        )
        return [
            (
                "admin/reports/panels/meeting_outcome.html",
                {
                    "engagements": engagements,
                    "record_outcome_url": reverse(
                        "admin:reports_meeting_outcome", args=[obj.pk]
                    )
                    if self.has_record_outcome_permission(request, obj)
                    else None,
                },
            )
        ]

    def outcome_view(self, request, object_id):
        """*Record the outcome*: the engagement(s) and follow-ups, in one form."""
        meeting = self.get_object(request, unquote(object_id))
        if meeting is None:
            raise Http404
        if not self.has_record_outcome_permission(request, meeting):
            raise PermissionDenied
        initial = followup_initial(request.user)
        if request.method == "POST":
            form = MeetingOutcomeForm(request.POST, meeting=meeting, user=request.user)
            followups = FollowUpFormSet(
                request.POST,
                initial=initial,
                prefix="followups",
                form_kwargs={"meeting": meeting},
            )
            if form.is_valid() and followups.is_valid():
                try:
                    recorded = self._record_outcome(request, meeting, form, followups)
                except ValidationError as error:
                    for message in error.messages:
                        messages.error(request, message)
                else:
                    self.message_user(
                        request,
                        ngettext(
                            "Outcome recorded: %(engagements)d engagement and "
                            "%(followups)d follow-up(s).",
                            "Outcome recorded: %(engagements)d engagements and "
                            "%(followups)d follow-up(s).",
                            len(recorded.engagements),
                        )
                        % {
                            "engagements": len(recorded.engagements),
                            "followups": recorded.followup_count,
                        },
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:reports_meeting_change", args=[meeting.pk])
                    )
            else:
                messages.error(request, _("Please correct the errors below."))
        else:
            form = MeetingOutcomeForm(meeting=meeting, user=request.user)
            followups = FollowUpFormSet(
                initial=initial, prefix="followups", form_kwargs={"meeting": meeting}
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Record the outcome"),
            "subtitle": str(meeting),
            "original": meeting,
            "form": form,
            "followups": followups,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/reports/meeting/outcome.html", context)

    def _record_outcome(self, request, meeting, form, followups):
        data = form.cleaned_data
        rows = [
            FollowUpRow(
                description=row.cleaned_data.get("description") or "",
                assignee=row.cleaned_data.get("assignee"),
                due_date=row.cleaned_data.get("due_date"),
                partner=row.cleaned_data.get("partner"),
            )
            for row in followups.forms
            if not row.is_blank
        ]
        return meeting_record_outcome(
            meeting=meeting,
            created_by=request.user,
            subject=data["subject"],
            partners=data["partners"],
            date=data["date"],
            kind=data["kind"],
            summary=data["summary"],
            outcome=data["outcome"],
            contacts=data["contacts"],
            staff=data["staff"],
            confidential=data.get("confidential", False),
            one_per_partner=data["one_per_partner"],
            followups=rows,
        )


@admin.register(PrintLog)
class PrintLogAdmin(NotFoundMixin, admin.ModelAdmin):
    """Everyone's prints for Administrators ("view print log entry"); for
    whoever may print, their own. Someone else's entry answers 404."""

    list_display = [
        "printed_at",
        "user",
        "document",
        "title",
        "language",
        "pages",
        "status",
        "via",
        "includes_confidential",
        "download_link",
    ]
    list_filter = ["document", "status", "via", "language", "includes_confidential"]
    search_fields = ["title", "user__username", "user__last_name", "partners__name"]
    list_select_related = ["user"]
    readonly_fields = [
        "printed_at",
        "user",
        "document",
        "title",
        "language",
        "partners",
        "meetings",
        "parameters",
        "includes_confidential",
        "via",
        "status",
        "pages",
        "size_bytes",
        "filename",
        "download_link",
        "task_id",
        "error",
        "completed_at",
    ]
    fields = readonly_fields
    date_hierarchy = "printed_at"

    def _sees_all(self, request) -> bool:
        return request.user.has_perm("reports.view_printlog")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self._sees_all(request):
            return queryset
        # Whoever may print sees their own prints, to fetch background packs.
        return queryset.filter(user=request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        if self._sees_all(request):
            return True
        return can_print(request) and (obj is None or obj.user_id == request.user.pk)

    def has_module_permission(self, request) -> bool:
        return self._sees_all(request) or can_print(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # The log is an audit trail; only a superuser prunes it.
        return request.user.is_superuser

    @admin.display(description=_("file"))
    def download_link(self, obj: PrintLog) -> str:
        if obj.is_downloadable:
            return format_html(
                '<a href="{}">{}</a>', obj.get_download_url(), _("Download")
            )
        if obj.status in (PrintLog.Status.QUEUED, PrintLog.Status.RUNNING):
            return str(_("Being prepared…"))
        return "—"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "print/partner/<int:pk>/",
                view(self.print_partner),
                name="reports_print_partner",
            ),
            path(
                "print/partners/",
                view(self.print_partners),
                name="reports_print_partners",
            ),
            path(
                "print/contact/<int:pk>/",
                view(self.print_contact),
                name="reports_print_contact",
            ),
            path(
                "print/country/<str:iso3>/",
                view(self.print_country),
                name="reports_print_country",
            ),
            path(
                "print/meeting/<int:pk>/",
                view(self.print_meeting),
                name="reports_print_meeting",
            ),
            path(
                "print/meetings/",
                view(self.print_meetings),
                name="reports_print_meetings",
            ),
            path(
                "<int:pk>/download/",
                view(self.download),
                name="reports_printlog_download",
            ),
            *super().get_urls(),
        ]

    def print_partner(self, request, pk: int):
        get_object_or_404(Partner, pk=pk)
        return print_response(
            request, BriefRequest.for_partners([pk], print_language(request))
        )

    def print_partners(self, request):
        ids = _ids(request)
        if not ids:
            messages.error(request, _("Choose at least one partner to print."))
            return _back(request, reverse("admin:partners_partner_changelist"))
        return print_response(
            request, BriefRequest.for_partners(ids, print_language(request))
        )

    def print_contact(self, request, pk: int):
        get_object_or_404(Contact, pk=pk)
        return print_response(
            request, BriefRequest.for_contact(pk, print_language(request))
        )

    def print_country(self, request, iso3: str):
        return print_response(
            request, BriefRequest.for_country(iso3, print_language(request))
        )

    def print_meeting(self, request, pk: int):
        get_object_or_404(Meeting, pk=pk)
        return print_response(
            request, BriefRequest.for_meetings([pk], print_language(request))
        )

    def print_meetings(self, request):
        ids = _ids(request)
        if not ids:
            messages.error(request, _("Choose at least one meeting to print."))
            return _back(request, reverse("admin:reports_meeting_changelist"))
        return print_response(
            request, BriefRequest.for_meetings(ids, print_language(request))
        )

    def download(self, request, pk: int):
        """A pack printed in the background, for the user who asked for it."""
        log = get_object_or_404(PrintLog, pk=pk)
        if not can_print(request) or (
            log.user_id != request.user.pk and not request.user.is_superuser
        ):
            # What a pack shows depends on who printed it; nobody else gets it.
            raise PermissionDenied
        if not log.is_downloadable:
            messages.warning(request, _("This pack is not ready yet."))
            return HttpResponseRedirect(
                reverse("admin:reports_printlog_change", args=[log.pk])
            )
        return FileResponse(
            log.file.open("rb"),
            as_attachment=True,
            filename=log.filename or "brief.pdf",
            content_type="application/pdf",
        )


def start_page_panels(request: HttpRequest):
    """Meetings of the coming week with their packs, and the user's queued packs."""
    if not can_print(request):
        return []
    now = timezone.now()
    # The coming week, and the past week's meetings whose outcome is missing.
    meetings = list(
        Meeting.objects.annotate(
            partner_total=Count("partners"), has_outcome=has_outcome()
        )
        .filter(
            Q(starts_at__gte=now - dt.timedelta(hours=12))
            | Q(starts_at__gte=now - dt.timedelta(days=7), has_outcome=False),
            starts_at__lt=now + dt.timedelta(days=7),
        )
        .order_by("starts_at")[:10]
    )
    packs = list(
        PrintLog.objects.filter(
            user=request.user, via=PrintLog.Via.BACKGROUND
        ).order_by("-printed_at")[:5]
    )
    days: dict[dt.date, list[int]] = {}
    for m in meetings:
        days.setdefault(timezone.localtime(m.starts_at).date(), []).append(m.pk)
    day_links = [
        (
            day,
            len(ids),
            reverse("admin:reports_print_meetings")
            + "?"
            + urlencode({"ids": ",".join(map(str, ids))}),
        )
        for day, ids in days.items()
    ]
    return [
        (
            "admin/reports/panels/start_meetings.html",
            {
                "meetings": meetings,
                "now": now,
                "can_record_outcome": request.user.has_perm("partners.add_engagement"),
                "day_links": day_links,
                "packs": packs,
            },
        )
    ]


if hasattr(admin.site, "register_start_page_panels"):
    admin.site.register_start_page_panels(start_page_panels, order=30)


def report_panels(request: HttpRequest):
    """The report pages the user may open, linked from the start page."""
    from reports.views import reports_for

    specs = reports_for(request.user)
    if not specs:
        return []
    return [
        (
            "admin/reports/panels/start_reports.html",
            {"reports": specs, "all_url": reverse("reports_index")},
        )
    ]


if hasattr(admin.site, "register_start_page_panels"):
    admin.site.register_start_page_panels(report_panels, order=40)
