"""Pieces the partners admin modules share: links, orderings, inlines, panels."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import (
    Case,
    F,
    IntegerField,
    Q,
    Value,
    When,
)
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import (
    Truncator,
)

from crm.admin_helpers import (
    change_url,
)
from crm.admin_site import Panel
from partners.forms import ContributionClassField, FollowUpInlineForm
from partners.models import (
    Affiliation,
    FollowUp,
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


def picker_partner_ids(request: HttpRequest) -> list[int]:
    """The partners a contact picker was asked to list first (``for_partners``)."""
    raw = request.GET.get("for_partners", "")
    return [int(part) for part in raw.split(",") if part.strip().isdigit()][:50]


class ContactPickerMixin:
    """Contact fields labelled "name — role, partner" ("former" when ended).

    The selected contacts render with the label of ``Contact.picker_label``
    from one annotated query; the autocomplete results come from
    ``ContactAdmin`` (same label), the form's partners' contacts first.
    """

    contact_picker_fields: tuple[str, ...] = ("contacts",)

    @property
    def media(self):
        # A property, not ``class Media``: this mixin is no MediaDefiningClass.
        return super().media + forms.Media(
            js=[
                "admin/js/vendor/jquery/jquery.min.js",
                "admin/js/jquery.init.js",
                "partners/contact_picker.js",
            ]
        )

    def _contact_picker(self, db_field, field):
        if field is not None and db_field.name in self.contact_picker_fields:
            field.queryset = field.queryset.with_picker_label()
            field.label_from_instance = lambda contact: contact.picker_label
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return self._contact_picker(db_field, field)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self._contact_picker(db_field, field)


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


class MembershipFormMixin:
    """Classes of contribution typed and shown as ITU writes them (½, 1/16)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "contribution_class":
            kwargs["form_class"] = ContributionClassField
            return db_field.formfield(**kwargs)
        return super().formfield_for_dbfield(db_field, request, **kwargs)
