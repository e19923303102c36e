"""Admin for partners, memberships, contacts, events, engagements and follow-ups.

``PartnerAdmin`` is meant to be subclassed: another app may unregister it,
register a subclass, and extend ``get_panels()`` (the sections under the
partner form), ``list_display`` or ``list_filter``.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.text import (
    Truncator,
)
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm.admin import ADMIN_CSS
from crm.admin_concurrency import VersionedAdminMixin, VersionedInlineMixin
from crm.admin_confidential import ConfidentialDeleteMixin
from crm.admin_helpers import (
    RECORD,
    NotFoundMixin,
    PanelsMixin,
    RecordOnChangeMixin,
    change_url,
    changelist_url,
    titled,
)
from crm.admin_site import Panel
from crm.history import HistoryAdmin
from crm.imports.admin import ImportMixin
from crm.lib.formats import format_amount
from crm.lib.names import user_name
from partners import dashboard, services
from partners.filters import (
    ArrearsConsequenceFilter,
    AssigneeFilter,
    ContactFilter,
    CurrentAffiliationFilter,
    DueFilter,
    FollowUpPartnerFilter,
    LastContactFilter,
    OverdueFollowUpsFilter,
    PartnerFilter,
    StartYearListFilter,
)
from partners.forms import ContributionClassField, FollowUpInlineForm
from partners.managers import sees_confidential
from partners.models import (
    Affiliation,
    Contact,
    Engagement,
    Event,
    FollowUp,
    Membership,
    Partner,
    Tag,
    UnitValue,
)

CENT = Decimal("0.01")


def engagement_link(followup: FollowUp):
    """The follow-up's engagement as a short link, for crowded columns."""
    engagement = followup.engagement
    if engagement is None:
        return None
    return format_html(
        '<a href="{}" title="{}">{} {}</a>',
        change_url(engagement),
        engagement.subject,
        f"{engagement.date:%Y-%m-%d}",
        Truncator(engagement.subject).chars(45),
    )


def current_first(queryset):
    """Affiliations ordered current first, then the most recently ended."""
    today = timezone.localdate()
    return queryset.annotate(
        has_ended=Case(
            When(end_date__lt=today, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    ).order_by(
        "has_ended",
        "-is_primary",
        F("end_date").desc(nulls_first=True),
        F("start_date").desc(nulls_last=True),
    )


def current_affiliations():
    today = timezone.localdate()
    return Affiliation.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    ).order_by("-is_primary", "partner__name")


class FollowUpInlineMixin:
    """Follow-ups edited inline: assigned to the user, due in two weeks."""

    form = FollowUpInlineForm
    autocomplete_fields = ["assignee"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        assignee = formset.form.base_fields.get("assignee")
        if assignee is not None:
            # base_fields belongs to the form class built for this request.
            assignee.initial = request.user.pk
        return formset


def engagements_panel(
    request: HttpRequest,
    engagements,
    *,
    title,
    limit: int,
    all_url: str,
    add_url: str | None = None,
    show_partners: bool = True,
    show_contacts: bool = True,
) -> Panel:
    """A timeline of engagements, newest first, that the user may see."""
    engagements = engagements.visible_to(request.user)
    total = engagements.count()
    rows = list(
        engagements.select_related("event").prefetch_related(
            "partners", "contacts", "staff"
        )[:limit]
    )
    return (
        "admin/partners/panels/engagements.html",
        {
            "title": title,
            "engagements": rows,
            "total": total,
            "shown": len(rows),
            "all_url": all_url,
            "add_url": add_url,
            "show_partners": show_partners,
            "show_contacts": show_contacts,
        },
    )


# Partner ---------------------------------------------------------------------


class MembershipFormMixin:
    """Classes of contribution typed and shown as ITU writes them (½, 1/16)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "contribution_class":
            kwargs["form_class"] = ContributionClassField
            return db_field.formfield(**kwargs)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


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
    ConfidentialDeleteMixin,
    ImportMixin,
    RecordOnChangeMixin,
    PanelsMixin,
    VersionedAdminMixin,
    HistoryAdmin,
):
    import_resources = ("partners",)
    list_display = [
        "name",
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
    inlines = [MembershipInline, PartnerAffiliationInline, PartnerFollowUpInline]
    actions = ["mark_inactive", "print_briefs"]
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
        """Every word must match a name, code, country or a contact's e-mail.

        Any spelling of the partner's country, typed whole, matches too.
        """
        return queryset.search(search_term), False

    def get_inlines(self, request, obj):
        # Follow-ups hang on an existing partner; none while adding one.
        if obj is None:
            return [i for i in self.inlines if not issubclass(i, PartnerFollowUpInline)]
        return self.inlines

    def get_panels(self, request, obj):
        """The sections under the form, in order: ``[(template, context), ...]``.

        Subclasses extend the list, e.g. ``[*super().get_panels(request, obj),
        ("admin/pledges/panels/pledges.html", {...})]``.
        """
        return [
            self.engagement_timeline_panel(request, obj),
            self.open_followups_panel(request, obj),
        ]

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
        return f"{reverse('admin:partners_engagement_add')}?partners={obj.pk}"

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        if obj is not None and obj.pk is not None:
            context["log_engagement_url"] = self.log_engagement_url(request, obj)
            context["engagements_url"] = changelist_url(Engagement, partner=obj.pk)
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

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


# Membership and contributory unit -------------------------------------------


class PartnerChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        self.model_admin.annotate_page(request, self.result_list)


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
    ConfidentialDeleteMixin,
    ImportMixin,
    RecordOnChangeMixin,
    PanelsMixin,
    VersionedAdminMixin,
    HistoryAdmin,
):
    import_resources = ("contacts",)
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
        (None, {"fields": ["title", "first_name", "last_name", "job_title"]}),
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
    actions = ["anonymise"]
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
                (change_url(a.partner), a.partner, a.get_role_display())
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


# Events, engagements, follow-ups --------------------------------------------


@admin.register(Event)
class EventAdmin(ConfidentialDeleteMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "start_date",
        "end_date",
        "place",
        "country",
        "engagement_count",
    ]
    list_filter = ["kind", StartYearListFilter]
    search_fields = ["name", "place", "country__name_en"]
    list_select_related = ["country"]
    autocomplete_fields = ["country"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "start_date", "end_date"]}),
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
    ConfidentialDeleteMixin,
    NotFoundMixin,
    ImportMixin,
    RecordOnChangeMixin,
    VersionedAdminMixin,
    HistoryAdmin,
):
    import_resources = ("engagements",)
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
    inlines = [EngagementFollowUpInline]
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


# The start page --------------------------------------------------------------


admin.site.register_start_page_panels(dashboard.start_page_panels, order=10)
admin.site.register_start_page_panels(dashboard.arrears_panel, order=15)
