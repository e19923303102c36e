"""Events, engagements and follow-ups."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import ValidationError
from django.db.models import (
    Count,
    OuterRef,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm.admin import ADMIN_CSS
from crm.admin_concurrency import VersionedAdminMixin, VersionedInlineMixin
from crm.admin_confidential import ConfidentialDeleteMixin
from crm.admin_helpers import (
    RECORD,
    NotFoundMixin,
    RecordOnChangeMixin,
    changelist_url,
    display_name,
    titled,
)
from crm.admin_site import render_panels
from crm.history import HistoryAdmin
from crm.imports.admin import ImportMixin
from crm.lib.names import user_name
from documents.admin import DocumentInline, email_upload_panel
from partners import services
from partners.admin.common import (
    ContactPickerMixin,
    FollowUpInlineMixin,
    engagement_link,
)
from partners.filters import (
    AssigneeFilter,
    ContactFilter,
    DueFilter,
    FollowUpPartnerFilter,
    PartnerFilter,
    StartYearListFilter,
)
from partners.managers import sees_confidential
from partners.models import (
    Engagement,
    Event,
    FollowUp,
    Partner,
)
from partners.resources import EngagementResource

# Events, engagements, follow-ups --------------------------------------------


@admin.register(Event)
class EventAdmin(ConfidentialDeleteMixin, admin.ModelAdmin):
    list_display = [
        display_name,
        "kind",
        "start_date",
        "end_date",
        "place",
        "country",
        "engagement_count",
    ]
    list_filter = ["kind", StartYearListFilter]
    search_fields = ["name", "name_fr", "place", "country__name_en"]
    list_select_related = ["country"]
    autocomplete_fields = ["country"]
    fieldsets = [
        (None, {"fields": ["name", "name_fr", "kind", "start_date", "end_date"]}),
        (_("Where"), {"fields": ["place", "country", "website"]}),
        (_("Notes"), {"fields": ["notes"]}),
    ]
    date_hierarchy = "start_date"

    def get_queryset(self, request):
        visible = Engagement.objects.visible_to(request.user).filter(
            event=OuterRef("pk")
        )
        count = visible.order_by().values("event").annotate(n=Count("pk")).values("n")
        return (
            super()
            .get_queryset(request)
            .annotate(n_engagements=Coalesce(Subquery(count), 0))
        )

    @admin.display(description=_("engagements"), ordering="n_engagements")
    def engagement_count(self, obj: Event):
        count = getattr(obj, "n_engagements", 0)
        if not count:
            return 0
        return format_html(
            '<a href="{}">{}</a>',
            changelist_url(Engagement, event__id__exact=obj.pk),
            count,
        )


class EngagementFollowUpInline(
    FollowUpInlineMixin, VersionedInlineMixin, admin.TabularInline
):
    model = FollowUp
    fk_name = "engagement"
    fields = ["description", "assignee", "due_date", "status"]
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("assignee")


@admin.register(Engagement)
class EngagementAdmin(
    ContactPickerMixin,
    ConfidentialDeleteMixin,
    NotFoundMixin,
    ImportMixin,
    RecordOnChangeMixin,
    VersionedAdminMixin,
    HistoryAdmin,
):
    importers = ("engagements",)
    resource_classes = [EngagementResource]
    list_display = [
        "date",
        "kind",
        "subject",
        "partner_list",
        "staff_list",
        "event",
        "confidential",
    ]
    list_display_links = ["date", "subject"]
    list_filter = [
        "kind",
        "confidential",
        ("event", admin.RelatedOnlyFieldListFilter),
        (
            "partners__category",
            titled(admin.ChoicesFieldListFilter, _("partner category")),
        ),
        (
            "partners__country__itu_region",
            titled(admin.ChoicesFieldListFilter, _("ITU region of partners")),
        ),
        ("staff", admin.RelatedOnlyFieldListFilter),
        PartnerFilter,
        ContactFilter,
    ]
    search_fields = [
        "subject",
        "summary",
        "partners__name",
        "partners__short_name",
        "contacts__first_name",
        "contacts__last_name",
    ]
    list_select_related = ["event"]
    autocomplete_fields = ["partners", "contacts", "staff", "event"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("date", "kind"),
                    "subject",
                    "partners",
                    "contacts",
                    "staff",
                    "event",
                ]
            },
        ),
        (_("What was said"), {"fields": ["summary", "outcome"]}),
        (_("Access"), {"fields": ["confidential"]}),
        (
            RECORD,
            {
                "fields": ["created_by", "created_at", "updated_at"],
                "classes": ["collapse"],
            },
        ),
    ]
    inlines = [EngagementFollowUpInline, DocumentInline]
    date_hierarchy = "date"
    view_on_site = False

    class Media:
        css = ADMIN_CSS

    def get_queryset(self, request):
        # Confidential engagements vanish for users without the permission:
        # from the list, the change page, the autocomplete and the counts.
        return (
            super()
            .get_queryset(request)
            .visible_to(request.user)
            .prefetch_related("partners", "staff")
        )

    def get_list_display(self, request):
        if self._sees_confidential(request):
            return self.list_display
        return [f for f in self.list_display if f != "confidential"]

    def get_list_filter(self, request):
        if self._sees_confidential(request):
            return self.list_filter
        return [f for f in self.list_filter if f != "confidential"]

    def get_changeform_initial_data(self, request):
        return {
            **services.engagement_initial(user=request.user),
            **super().get_changeform_initial_data(request),
        }

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def _from_partner(self, request) -> Partner | None:
        """The partner whose page "Log engagement" was clicked on, if any."""
        raw = request.GET.get("from_partner", "")
        if not raw.isdigit():
            return None
        return Partner.objects.filter(pk=raw).first()

    def response_add(self, request, obj, post_url_continue=None):
        # Started from a partner: "Save" goes back to its overview, "Save and
        # add another" opens a new form for the same partner.
        response = super().response_add(request, obj, post_url_continue)
        partner = self._from_partner(request)
        if partner is None or IS_POPUP_VAR in request.POST:
            return response
        if "_addanother" in request.POST:
            query = urlencode({"partners": partner.pk, "from_partner": partner.pk})
            response["Location"] = f"{request.path}?{query}"
        elif not any(key in request.POST for key in ("_continue", "_saveasnew")):
            response["Location"] = partner.get_overview_url()
        return response

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        # On the add page, the e-mail upload: an e-mail file fills the form.
        panel = email_upload_panel(request) if add else None
        if panel:
            context["panels_before"] = render_panels(request, [panel])
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    @staticmethod
    def _sees_confidential(request) -> bool:
        return sees_confidential(request.user)

    @admin.display(description=_("partners"))
    def partner_list(self, obj: Engagement) -> str:
        return ", ".join(str(p) for p in obj.partners.all())

    @admin.display(description=_("staff"))
    def staff_list(self, obj: Engagement) -> str:
        return ", ".join(user_name(u) for u in obj.staff.all())


@admin.register(FollowUp)
class FollowUpAdmin(NotFoundMixin, HistoryAdmin):
    list_display = [
        "description",
        "partner_name",
        "engagement_link",
        "assignee_name",
        "due_date",
        "status",
        "overdue",
    ]
    list_filter = ["status", AssigneeFilter, DueFilter, FollowUpPartnerFilter]
    search_fields = [
        "description",
        "partner__name",
        "partner__short_name",
        "engagement__subject",
    ]
    list_select_related = ["partner", "engagement", "assignee"]
    autocomplete_fields = ["engagement", "partner", "assignee"]
    readonly_fields = ["done_on", "created_at"]
    fields = [
        "description",
        "engagement",
        "partner",
        "assignee",
        "due_date",
        "status",
        "done_on",
        "created_at",
    ]
    actions = ["mark_done"]
    list_editable = ["status"]

    class Media:
        css = ADMIN_CSS

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "engagement":
            kwargs["queryset"] = Engagement.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        return {
            "assignee": request.user.pk,
            "due_date": services.followup_default_due_date(),
            **super().get_changeform_initial_data(request),
        }

    @admin.display(description=_("assignee"), ordering="assignee__username")
    def assignee_name(self, obj: FollowUp) -> str | None:
        return user_name(obj.assignee) if obj.assignee_id else None

    @admin.display(description=_("partner"), ordering="partner__name")
    def partner_name(self, obj: FollowUp) -> str | None:
        # A method, not the foreign key, so that long names wrap.
        return str(obj.partner) if obj.partner_id else None

    @admin.display(description=_("engagement"), ordering="engagement__date")
    def engagement_link(self, obj: FollowUp):
        return engagement_link(obj)

    @admin.display(description=_("overdue"))
    def overdue(self, obj: FollowUp):
        # A red word rather than a boolean icon: a green tick for "overdue"
        # reads as good news.
        if not obj.is_overdue:
            return ""
        return format_html('<span class="crm-overdue">{}</span>', _("overdue"))

    @admin.action(description=_("Mark done"), permissions=["change"])
    def mark_done(self, request, queryset):
        done, refused = 0, []
        for followup in queryset:
            try:
                done += services.followup_complete(followup=followup)
            except ValidationError as error:
                refused.extend(error.messages)
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d follow-up marked done.",
                    "%(count)d follow-ups marked done.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )
        for message in refused:
            self.message_user(request, message, messages.WARNING)
        if not done and not refused:
            self.message_user(
                request, _("The selected follow-ups were already done."), messages.INFO
            )
