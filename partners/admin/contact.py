"""Contacts and their affiliations."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import (
    Prefetch,
)
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm.admin import ADMIN_CSS
from crm.admin_concurrency import VersionedAdminMixin, VersionedInlineMixin
from crm.admin_confidential import ConfidentialDeleteMixin
from crm.admin_helpers import (
    RECORD,
    PanelsMixin,
    RecordOnChangeMixin,
    changelist_url,
    titled,
)
from crm.history import HistoryAdmin
from crm.imports.admin import ImportMixin
from partners import services
from partners.admin.common import (
    current_affiliations,
    current_first,
    engagements_panel,
    picker_partner_ids,
)
from partners.dedupe_admin import DuplicatesMixin
from partners.filters import (
    CurrentAffiliationFilter,
)
from partners.models import (
    Affiliation,
    Contact,
    Engagement,
)
from partners.resources import ContactResource

# Contacts --------------------------------------------------------------------


class ContactAffiliationInline(VersionedInlineMixin, admin.TabularInline):
    model = Affiliation
    fk_name = "contact"
    fields = [
        "partner",
        "role",
        "position",
        "is_primary",
        "start_date",
        "end_date",
        "is_current",
    ]
    readonly_fields = ["is_current"]
    autocomplete_fields = ["partner"]
    extra = 0
    verbose_name_plural = _("affiliations over time")

    def get_queryset(self, request):
        return current_first(super().get_queryset(request)).select_related("partner")

    @admin.display(description=_("current"), boolean=True)
    def is_current(self, obj: Affiliation) -> bool | None:
        return obj.is_current if obj.pk else None


@admin.register(Contact)
class ContactAdmin(
    DuplicatesMixin,
    ConfidentialDeleteMixin,
    ImportMixin,
    RecordOnChangeMixin,
    PanelsMixin,
    VersionedAdminMixin,
    HistoryAdmin,
):
    importers = ("contacts",)
    resource_classes = [ContactResource]
    list_display = [
        "display_name",
        "current_roles",
        "email",
        "phone",
        "do_not_contact_flag",
    ]
    list_filter = [
        ("affiliations__role", titled(admin.ChoicesFieldListFilter, _("role"))),
        (
            "affiliations__partner__category",
            titled(admin.ChoicesFieldListFilter, _("partner category")),
        ),
        "do_not_contact",
        "title",
    ]
    search_fields = [
        "first_name",
        "last_name",
        "email",
        "affiliations__partner__name",
        "affiliations__partner__short_name",
    ]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "gender", "first_name", "last_name", "job_title"]}),
        (
            _("Reaching them"),
            {"fields": ["email", "phone", "languages", "do_not_contact"]},
        ),
        (_("Notes"), {"fields": ["notes"]}),
        (
            RECORD,
            {"fields": ["created_at", "updated_at"], "classes": ["collapse"]},
        ),
    ]
    inlines = [ContactAffiliationInline]
    actions = ["anonymise", "merge_selected"]
    view_on_site = False
    timeline_limit = 50

    class Media:
        css = ADMIN_CSS

    @admin.action(
        description=_("Anonymise selected contacts (on their request)"),
        permissions=["change"],
    )
    def anonymise(self, request, queryset):
        changed = sum(
            services.contact_anonymise(contact=contact) for contact in queryset
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d contact anonymised.",
                "%(count)d contacts anonymised.",
                changed,
            )
            % {"count": changed},
            messages.SUCCESS,
        )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch(
                    "affiliations",
                    queryset=current_affiliations().select_related("partner"),
                    to_attr="current_affiliations",
                )
            )
        )

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        match = request.resolver_match
        if match and match.url_name == "autocomplete":
            # Pickers: labelled with the role, the form's partners' contacts first.
            queryset = queryset.with_picker_label(picker_partner_ids(request)).order_by(
                "picker_rank", "last_name", "first_name", "pk"
            )
        return queryset, may_have_duplicates

    def autocomplete_label(self, obj: Contact) -> str:
        return obj.picker_label

    def get_panels(self, request, obj):
        return [
            engagements_panel(
                request,
                Engagement.objects.filter(contacts=obj),
                title=_("Engagements"),
                limit=self.timeline_limit,
                all_url=changelist_url(Engagement, contact=obj.pk),
                add_url=self.log_engagement_url(request, obj),
                show_contacts=False,
            )
        ]

    def log_engagement_url(self, request, obj: Contact) -> str | None:
        if not request.user.has_perm("partners.add_engagement"):
            return None
        params = {"contacts": obj.pk}
        partner_ids = [a.partner_id for a in getattr(obj, "current_affiliations", [])]
        if partner_ids:
            params["partners"] = ",".join(str(pk) for pk in partner_ids)
        return f"{reverse('admin:partners_engagement_add')}?{urlencode(params)}"

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        if obj is not None and obj.pk is not None:
            context["log_engagement_url"] = self.log_engagement_url(request, obj)
            context["engagements_url"] = changelist_url(Engagement, contact=obj.pk)
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    @admin.display(description=_("name"), ordering="last_name")
    def display_name(self, obj: Contact) -> str:
        return str(obj)

    @admin.display(description=_("do not contact"), ordering="do_not_contact")
    def do_not_contact_flag(self, obj: Contact):
        if not obj.do_not_contact:
            return ""
        return format_html('<span class="crm-overdue">{}</span>', _("do not contact"))

    @admin.display(description=_("current partner and role"))
    def current_roles(self, obj: Contact):
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a>, {}',
            (
                (a.partner.get_overview_url(), a.partner, a.role_display)
                for a in getattr(obj, "current_affiliations", [])
            ),
        )


@admin.register(Affiliation)
class AffiliationAdmin(HistoryAdmin):
    list_display = [
        "contact",
        "partner",
        "role",
        "position",
        "is_primary",
        "start_date",
        "end_date",
    ]
    list_filter = [
        "role",
        "is_primary",
        CurrentAffiliationFilter,
        (
            "partner__category",
            titled(admin.ChoicesFieldListFilter, _("partner category")),
        ),
    ]
    search_fields = [
        "contact__first_name",
        "contact__last_name",
        "contact__email",
        "partner__name",
        "partner__short_name",
        "position",
    ]
    list_select_related = ["contact", "partner"]
    autocomplete_fields = ["contact", "partner"]
    fields = [
        "contact",
        "partner",
        "role",
        "position",
        "is_primary",
        "start_date",
        "end_date",
    ]
