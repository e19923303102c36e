"""The partner admin: list, search, form and its panels; meant to be subclassed."""

from __future__ import annotations

from django.apps import apps as django_apps
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Q,
)
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.module_loading import import_string
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
    display_name,
    titled,
)
from crm.admin_site import Panel, render_panels
from crm.history import HistoryAdmin
from crm.imports.admin import ImportMixin
from crm.lib.names import user_name
from documents.admin import DocumentInline, email_upload_panel
from partners import services
from partners.admin.common import (
    FollowUpInlineMixin,
    MembershipFormMixin,
    current_first,
    engagement_link,
    engagements_panel,
)
from partners.dedupe_admin import DuplicatesMixin, PartnerAliasInline
from partners.filters import (
    LastContactFilter,
    OverdueFollowUpsFilter,
)
from partners.models import (
    Affiliation,
    Engagement,
    FollowUp,
    Membership,
    Partner,
)
from partners.overview import partner_overview
from partners.resources import PartnerResource

# Partner ---------------------------------------------------------------------


class MembershipInline(MembershipFormMixin, VersionedInlineMixin, admin.TabularInline):
    model = Membership
    fields = [
        "type",
        "sector",
        "contribution_class",
        "reduced_class_approved",
        "status",
        "start_date",
        "end_date",
        "arrears_chf",
        "arrears_as_of",
    ]
    extra = 0


class PartnerAffiliationInline(VersionedInlineMixin, admin.TabularInline):
    model = Affiliation
    fk_name = "partner"
    fields = [
        "contact",
        "role",
        "position",
        "is_primary",
        "start_date",
        "end_date",
        "is_current",
    ]
    readonly_fields = ["is_current"]
    autocomplete_fields = ["contact"]
    extra = 0
    verbose_name = _("contact")
    verbose_name_plural = _("contacts (current first, then former)")

    def get_queryset(self, request):
        return current_first(super().get_queryset(request)).select_related("contact")

    @admin.display(description=_("current"), boolean=True)
    def is_current(self, obj: Affiliation) -> bool | None:
        return obj.is_current if obj.pk else None


class PartnerFollowUpInline(
    FollowUpInlineMixin, VersionedInlineMixin, admin.TabularInline
):
    model = FollowUp
    fk_name = "partner"
    fields = ["description", "engagement_link", "assignee", "due_date", "status"]
    readonly_fields = ["engagement_link"]
    extra = 0
    verbose_name_plural = _("open follow-ups")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .visible_to(request.user)
            .open()
            .select_related("engagement", "assignee")
        )

    @admin.display(description=_("engagement"))
    def engagement_link(self, obj: FollowUp):
        return engagement_link(obj)


@admin.register(Partner)
class PartnerAdmin(
    DuplicatesMixin,
    ConfidentialDeleteMixin,
    ImportMixin,
    RecordOnChangeMixin,
    PanelsMixin,
    VersionedAdminMixin,
    HistoryAdmin,
):
    importers = ("partners",)
    resource_classes = [PartnerResource]
    list_display = [
        display_name,
        "short_name",
        "category",
        "country",
        "itu_region",
        "owner_name",
        "priority",
        "last_engagement",
        "open_followups",
    ]
    list_filter = [
        "category",
        (
            "memberships__type",
            titled(admin.ChoicesFieldListFilter, _("membership type")),
        ),
        (
            "memberships__sector",
            titled(admin.ChoicesFieldListFilter, _("membership sector")),
        ),
        "country__itu_region",
        "country__is_itu_member_state",
        ("country", admin.RelatedOnlyFieldListFilter),
        ("owner", admin.RelatedOnlyFieldListFilter),
        "tags",
        "priority",
        "is_active",
        OverdueFollowUpsFilter,
        LastContactFilter,
    ]
    search_fields = [
        "name",
        "name_fr",
        "short_name",
        "code",
        "country__name_en",
        "country__name_fr",
        "country__itu_name",
        "=country__iso3",
        "affiliations__contact__email",
    ]
    list_select_related = ["country", "owner"]
    autocomplete_fields = ["country", "parent", "owner", "tags"]
    readonly_fields = ["iati_type", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "name_fr",
                    "short_name",
                    "code",
                    ("category", "iati_type"),
                    "country",
                    "parent",
                    "website",
                ]
            },
        ),
        (
            _("Relationship"),
            {"fields": ["owner", "priority", "tags", "is_active", "notes"]},
        ),
        (
            RECORD,
            {"fields": ["created_at", "updated_at"], "classes": ["collapse"]},
        ),
    ]
    inlines = [
        MembershipInline,
        PartnerAffiliationInline,
        PartnerFollowUpInline,
        PartnerAliasInline,
        DocumentInline,
    ]
    actions = ["mark_inactive", "print_briefs", "merge_selected"]
    view_on_site = False
    timeline_limit = 50

    class Media:
        css = ADMIN_CSS

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self._figures_for_every_row(request):
            return self.annotate_rows(request, queryset)
        return queryset

    def annotate_rows(self, request, queryset):
        """The per-partner figures of the list (subclasses add theirs)."""
        return queryset.with_activity(request.user)

    def annotate_page(self, request, partners: list[Partner]) -> None:
        """Compute the figures for the partners of one page, in one query.

        Annotating the whole queryset made PostgreSQL compute them for every
        row before sorting and paging: seconds at 100,000 partners.
        """
        if not partners or hasattr(partners[0], "last_engagement_on"):
            return
        annotated = self.annotate_rows(
            request, Partner.objects.filter(pk__in=[p.pk for p in partners])
        )
        names = list(annotated.query.annotations)
        figures = {row["pk"]: row for row in annotated.values("pk", *names)}
        for partner in partners:
            for name in names:
                setattr(partner, name, figures[partner.pk][name])

    def _figures_for_every_row(self, request) -> bool:
        # Only a list sorted by one of the figures needs them on every row;
        # the change page needs them on its one row; everything else (the
        # list's page, autocomplete, actions) does without.
        match = request.resolver_match
        name = match.url_name if match else ""
        if name == "partners_partner_changelist":
            return ORDER_VAR in request.GET
        return name == "partners_partner_change"

    def get_changelist(self, request, **kwargs):
        return PartnerChangeList

    def get_search_results(self, request, queryset, search_term):
        """The partner search (``partners.search``), best first.

        A list sorted by a column stays sorted by it.
        """
        found = queryset.search(search_term)
        if ORDER_VAR in request.GET and search_term.strip():
            found = found.order_by(*queryset.query.order_by)
        return found, False

    def get_inlines(self, request, obj):
        # Follow-ups and aliases hang on an existing partner; none while adding one.
        if obj is None:
            later = (PartnerFollowUpInline, PartnerAliasInline, DocumentInline)
            return [i for i in self.inlines if not issubclass(i, later)]
        return self.inlines

    def get_panels(self, request, obj):
        """The sections under the form, in order: ``[(template, context), ...]``.

        Subclasses extend the list, e.g. ``[*super().get_panels(request, obj),
        ("admin/pledges/panels/pledges.html", {...})]``.
        """
        panels = [
            self.engagement_timeline_panel(request, obj),
            self.open_followups_panel(request, obj),
        ]
        email_panel = email_upload_panel(request, obj)
        return [*panels, email_panel] if email_panel else panels

    def engagement_timeline_panel(self, request, obj: Partner) -> Panel:
        return engagements_panel(
            request,
            Engagement.objects.filter(partners=obj),
            title=_("Engagement timeline"),
            limit=self.timeline_limit,
            all_url=changelist_url(Engagement, partner=obj.pk),
            add_url=self.log_engagement_url(request, obj),
            show_partners=False,
        )

    def open_followups_panel(self, request, obj: Partner) -> Panel:
        followups = (
            FollowUp.objects.visible_to(request.user)
            .open()
            .filter(
                Q(partner=obj)
                | Q(engagement__in=Engagement.objects.filter(partners=obj))
            )
            .select_related("engagement", "assignee")
            .order_by("due_date", "pk")
        )
        return (
            "admin/partners/panels/followups.html",
            {
                "title": _("Open follow-ups"),
                "followups": list(followups),
                "all_url": changelist_url(
                    FollowUp, partner=obj.pk, status__exact="open", assignee="all"
                ),
            },
        )

    def log_engagement_url(self, request, obj: Partner) -> str | None:
        if not request.user.has_perm("partners.add_engagement"):
            return None
        query = urlencode({"partners": obj.pk, "from_partner": obj.pk})
        return f"{reverse('admin:partners_engagement_add')}?{query}"

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        if obj is not None and obj.pk is not None:
            context["log_engagement_url"] = self.log_engagement_url(request, obj)
            context["engagements_url"] = changelist_url(Engagement, partner=obj.pk)
            context["overview_url"] = obj.get_overview_url()
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    # The overview: the partner page a list, a search or a link opens -------

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/overview/",
                self.admin_site.admin_view(self.overview_view),
                name=f"{opts.app_label}_{opts.model_name}_overview",
            ),
            *super().get_urls(),
        ]

    def overview_view(self, request, object_id):
        """The partner at a glance, read only; the edit form is one click away."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        overview = partner_overview(partner=obj, user=request.user)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "app_label": self.model._meta.app_label,
            "title": str(obj),
            "subtitle": None,
            "original": obj,
            "media": self.media,
            "overview": overview,
            "has_change_permission": self.has_change_permission(request, obj),
            "edit_url": reverse("admin:partners_partner_change", args=[quote(obj.pk)])
            + "?from=overview",
            "log_engagement_url": self.log_engagement_url(request, obj),
            "engagements_url": changelist_url(Engagement, partner=obj.pk),
            "followups_url": changelist_url(
                FollowUp, partner=obj.pk, status__exact="open", assignee="all"
            ),
            "sections": render_panels(
                request, self.get_overview_panels(request, obj, overview)
            ),
        }
        return TemplateResponse(
            request, "admin/partners/partner/overview.html", context
        )

    def get_overview_panels(self, request, obj: Partner, overview) -> list[Panel]:
        """Sections of the overview before the partner's own: subclasses add
        theirs (pledges puts its key figures first)."""
        return self.documents_panels(request, obj)

    def documents_panels(self, request, obj: Partner) -> list[Panel]:
        """The partner's documents, when the documents app is installed.

        Hook for ``documents.services.documents_for(obj, user)``: the documents
        app depends on partners, so it is looked up, not imported.
        """
        if not django_apps.is_installed("documents"):
            return []
        documents_for = import_string("documents.services.documents_for")
        documents = list(documents_for(obj, request.user))
        if not documents:
            return []
        return [
            (
                "admin/partners/panels/overview_documents.html",
                {"documents": documents},
            )
        ]

    def response_change(self, request, obj):
        # "Edit" on the overview comes back to it after a plain "Save".
        if request.GET.get("from") == "overview" and not any(
            key in request.POST for key in ("_continue", "_addanother", "_saveasnew")
        ):
            msg = _("The partner “%(partner)s” was changed successfully.") % {
                "partner": obj
            }
            self.message_user(request, msg, messages.SUCCESS)
            return HttpResponseRedirect(obj.get_overview_url())
        return super().response_change(request, obj)

    def get_protecting_records(self, objs):
        """The engagements that keep a partner alive.

        Memberships and follow-ups are protected by their foreign keys; the
        engagements only by a signal, which Django's collector does not see.
        """
        return Engagement.objects.filter(partners__in=list(objs)).distinct()

    @admin.display(description=_("ITU region"), ordering="country__itu_region")
    def itu_region(self, obj: Partner) -> str | None:
        return obj.country.itu_region if obj.country_id else None

    @admin.display(description=_("owner"), ordering="owner__username")
    def owner_name(self, obj: Partner) -> str | None:
        return user_name(obj.owner) if obj.owner_id else None

    @admin.display(description=_("last engagement"), ordering="last_engagement_on")
    def last_engagement(self, obj: Partner):
        return getattr(obj, "last_engagement_on", None)

    @admin.display(description=_("open follow-ups"), ordering="open_followup_count")
    def open_followups(self, obj: Partner):
        count = getattr(obj, "open_followup_count", 0)
        if not count:
            return ""
        url = changelist_url(
            FollowUp, partner=obj.pk, status__exact="open", assignee="all"
        )
        overdue = getattr(obj, "overdue_followup_count", 0)
        if overdue:
            return format_html(
                '<a class="crm-overdue" href="{}">{} ({})</a>',
                url,
                count,
                ngettext("%(n)d overdue", "%(n)d overdue", overdue) % {"n": overdue},
            )
        return format_html('<a href="{}">{}</a>', url, count)

    @admin.display(description=_("IATI organisation type"))
    def iati_type(self, obj: Partner) -> str | None:
        return obj.iati_organisation_type if obj.category else None

    @admin.action(
        description=_("Print briefs for the selected partners (one PDF)"),
        permissions=["print_brief"],
    )
    def print_briefs(self, request, queryset):
        # The reports app serves the PDF; only its URL name is known here, so
        # partners does not depend on reports.
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return HttpResponseRedirect(
            reverse("admin:reports_print_partners") + "?" + urlencode({"ids": ids})
        )

    def has_print_brief_permission(self, request) -> bool:
        return request.user.has_perm("reports.print_brief")

    @admin.action(
        description=_("Mark selected partners inactive"), permissions=["change"]
    )
    def mark_inactive(self, request, queryset):
        changed = sum(
            services.partner_deactivate(partner=partner) for partner in queryset
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d partner marked inactive.",
                "%(count)d partners marked inactive.",
                changed,
            )
            % {"count": changed},
            messages.SUCCESS,
        )


class PartnerChangeList(ChangeList):
    def url_for_result(self, result):
        # A row opens the partner's overview; its "Edit" leads to the form.
        return result.get_overview_url()

    def get_results(self, request):
        super().get_results(request)
        self.model_admin.annotate_page(request, self.result_list)
