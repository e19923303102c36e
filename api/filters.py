"""Filters of the API lists: the admin lists' filters, plus "changed since"."""

from __future__ import annotations

import datetime as dt

import django_filters as filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_filters.fields import IsoDateTimeField

from crm.models import Country, ExchangeRate
from partners.models import (
    Affiliation,
    Contact,
    Engagement,
    Event,
    FollowUp,
    Membership,
    Partner,
)
from pledges.models import Installment, Payment, Pledge, Target
from reports.models import Meeting


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time, in UTC before it reaches the database.

    PostgreSQL refuses offsets beyond ±15:59 that Python accepts; a time too
    close to year 1 or 9999 to move to UTC is refused here, naming the value.
    """

    def to_python(self, value):
        moment = super().to_python(value)
        try:
            return moment.astimezone(dt.UTC) if moment and moment.tzinfo else moment
        except OverflowError:
            raise ValidationError(
                _("%(value)s is out of range.") % {"value": value}
            ) from None


class ChangedSinceFilter(filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField

    def __init__(self, **kwargs):
        kwargs.setdefault("field_name", "updated_at")
        kwargs.setdefault("lookup_expr", "gte")
        kwargs.setdefault("label", "Changed on or after (ISO 8601)")
        super().__init__(**kwargs)


class PartnerFilter(filters.FilterSet):
    updated_since = ChangedSinceFilter()
    country = filters.CharFilter(field_name="country__iso3", lookup_expr="iexact")
    itu_region = filters.ChoiceFilter(
        field_name="country__itu_region", choices=Country.Region.choices
    )
    member_state = filters.BooleanFilter(field_name="country__is_itu_member_state")
    membership_type = filters.ChoiceFilter(
        field_name="memberships__type", choices=Membership.Type.choices, distinct=True
    )
    membership_sector = filters.ChoiceFilter(
        field_name="memberships__sector",
        choices=Membership.Sector.choices,
        distinct=True,
    )
    owner = filters.CharFilter(field_name="owner__username")
    tag = filters.CharFilter(field_name="tags__name", distinct=True)

    class Meta:
        model = Partner
        fields = ["category", "priority", "is_active", "code"]


class MembershipFilter(filters.FilterSet):
    class Meta:
        model = Membership
        fields = ["partner", "type", "sector", "status"]


class ContactFilter(filters.FilterSet):
    updated_since = ChangedSinceFilter()
    partner = filters.NumberFilter(field_name="affiliations__partner", distinct=True)
    email = filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Contact
        fields = ["do_not_contact"]


class AffiliationFilter(filters.FilterSet):
    class Meta:
        model = Affiliation
        fields = ["partner", "contact", "role", "is_primary"]


class EventFilter(filters.FilterSet):
    start_date_from = filters.DateFilter(field_name="start_date", lookup_expr="gte")
    start_date_until = filters.DateFilter(field_name="start_date", lookup_expr="lte")

    class Meta:
        model = Event
        fields = ["kind"]


class MeetingFilter(filters.FilterSet):
    partner = filters.NumberFilter(field_name="partners", distinct=True)

    class Meta:
        model = Meeting
        fields = []


class EngagementFilter(filters.FilterSet):
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_until = filters.DateFilter(field_name="date", lookup_expr="lte")
    partner = filters.NumberFilter(field_name="partners", distinct=True)
    updated_since = ChangedSinceFilter()

    class Meta:
        model = Engagement
        fields = ["kind", "event"]


class FollowUpFilter(filters.FilterSet):
    due_from = filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_until = filters.DateFilter(field_name="due_date", lookup_expr="lte")
    assignee = filters.CharFilter(field_name="assignee__username")

    class Meta:
        model = FollowUp
        fields = ["status", "partner", "engagement"]


class PledgeFilter(filters.FilterSet):
    lever = filters.CharFilter(field_name="lever__code")
    updated_since = ChangedSinceFilter()
    itu_region = filters.ChoiceFilter(
        field_name="partner__country__itu_region", choices=Country.Region.choices
    )
    partner_category = filters.ChoiceFilter(
        field_name="partner__category", choices=Partner.Category.choices
    )

    class Meta:
        model = Pledge
        fields = [
            "partner",
            "stage",
            "kind",
            "earmarking",
            "currency",
            "external_source",
        ]


class InstallmentFilter(filters.FilterSet):
    due_from = filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_until = filters.DateFilter(field_name="due_date", lookup_expr="lte")
    partner = filters.NumberFilter(field_name="pledge__partner")

    class Meta:
        model = Installment
        fields = ["pledge"]


class PaymentFilter(filters.FilterSet):
    received_from = filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_until = filters.DateFilter(field_name="received_on", lookup_expr="lte")
    partner = filters.NumberFilter(field_name="pledge__partner")
    lever = filters.CharFilter(field_name="pledge__lever__code")

    class Meta:
        model = Payment
        fields = ["pledge", "currency", "external_source"]


class ExchangeRateFilter(filters.FilterSet):
    effective_from = filters.DateFilter(field_name="effective_date", lookup_expr="gte")
    effective_until = filters.DateFilter(field_name="effective_date", lookup_expr="lte")

    class Meta:
        model = ExchangeRate
        fields = ["currency", "source"]


class CountryFilter(filters.FilterSet):
    class Meta:
        model = Country
        fields = ["itu_region", "is_itu_member_state", "is_ldc", "income_group"]


class TargetFilter(filters.FilterSet):
    lever = filters.CharFilter(field_name="lever__code")

    class Meta:
        model = Target
        fields = ["year"]
