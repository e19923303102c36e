"""The partners app's groups in the CRM-wide search box (``crm.search``)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Case, IntegerField, Prefetch, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from crm.search import (
    Group,
    Hit,
    changelist_url,
    group_of,
    indexable,
    words_condition,
)
from partners.models import Affiliation, Contact, Engagement, Event, Partner


def _may_view(request, model) -> bool:
    model_admin = admin.site._registry.get(model)
    return model_admin is not None and model_admin.has_view_permission(request)


def partners(request, term: str, limit: int) -> Group | None:
    """Partners as the partner list finds and ranks them (``partners.search``)."""
    if not _may_view(request, Partner):
        return None
    rows = list(Partner.objects.search(term).select_related("country")[: limit + 1])

    def hit(partner: Partner) -> Hit:
        detail = [partner.get_category_display()]
        if partner.country:
            detail.append(partner.country.name_en)
        return Hit(str(partner), partner.get_absolute_url(), " · ".join(detail))

    return group_of(
        "partners", _("Partners"), rows, limit, hit, changelist_url(Partner, term)
    )


# Contacts found through their partner's name: the first so many partners
# and contacts (a word in hundreds of partners' names says little).
AT_PARTNERS = 200


def contacts(request, term: str, limit: int) -> Group | None:
    """Contacts by name, e-mail, or the partner (mission) they are at now.

    An exact e-mail comes first, then names starting with the term, then the
    others by name.
    """
    if not _may_view(request, Contact) or not indexable(term):
        return None
    now = Q(end_date__isnull=True) | Q(end_date__gte=timezone.localdate())
    # Ids in steps, each through an index: a join to partners under the OR
    # would read every contact (half a second at 100,000).
    partner_ids = list(
        Partner.objects.filter(words_condition(term, ["name", "short_name"]))
        .order_by()
        .values_list("pk", flat=True)[:AT_PARTNERS]
    )
    contact_ids = list(
        Affiliation.objects.filter(now, partner__in=partner_ids)
        .order_by()
        .values_list("contact", flat=True)[:AT_PARTNERS]
    )
    condition = words_condition(term, ["first_name", "last_name", "email"])
    if contact_ids:
        condition |= Q(pk__in=sorted(set(contact_ids)))
    current = Affiliation.objects.filter(now).select_related("partner")
    first, _sep, last = term.rpartition(" ")
    rank = Case(
        When(email__iexact=term, then=Value(0)),
        When(
            Q(last_name__iexact=term)
            | Q(first_name__iexact=first, last_name__iexact=last),
            then=Value(1),
        ),
        When(
            Q(last_name__istartswith=term) | Q(first_name__istartswith=term),
            then=Value(2),
        ),
        default=Value(3),
        output_field=IntegerField(),
    )
    rows = list(
        Contact.objects.filter(condition)
        .annotate(search_rank=rank)
        .order_by("search_rank", "last_name", "first_name", "pk")
        .prefetch_related(Prefetch("affiliations", current, to_attr="now"))[: limit + 1]
    )

    def hit(contact: Contact) -> Hit:
        roles = [
            f"{a.position or a.get_role_display()}, "
            f"{a.partner.short_name or a.partner.name}"
            for a in contact.now
        ]
        detail = " · ".join([*roles[:2], *([contact.email] if contact.email else [])])
        return Hit(str(contact), contact.get_absolute_url(), detail)

    return group_of(
        "contacts", _("Contacts"), rows, limit, hit, changelist_url(Contact, term)
    )


def engagements(request, term: str, limit: int) -> Group | None:
    """Engagements by subject and summary, newest first; confidential ones
    only for users who may see them."""
    if not _may_view(request, Engagement) or not indexable(term):
        return None
    rows = list(
        Engagement.objects.visible_to(request.user)
        .filter(words_condition(term, ["subject", "summary"]))
        .order_by("-date", "-pk")
        .only("pk", "date", "kind", "subject", "confidential")[: limit + 1]
    )

    def hit(engagement: Engagement) -> Hit:
        detail = f"{date_format(engagement.date)} · {engagement.get_kind_display()}"
        if engagement.confidential:
            detail += " · " + _("confidential")
        url = admin_url(engagement)
        return Hit(engagement.subject, url, detail)

    return group_of(
        "engagements",
        _("Engagements"),
        rows,
        limit,
        hit,
        changelist_url(Engagement, term),
    )


def events(request, term: str, limit: int) -> Group | None:
    if not _may_view(request, Event):
        return None
    rows = list(
        Event.objects.filter(words_condition(term, ["name", "place"])).order_by(
            "-start_date", "-pk"
        )[: limit + 1]
    )

    def hit(event: Event) -> Hit:
        return Hit(str(event), admin_url(event), event.place)

    return group_of(
        "events", _("Events"), rows, limit, hit, changelist_url(Event, term)
    )


def admin_url(obj) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
