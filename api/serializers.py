"""What each endpoint reads and writes.

Money is sent as decimal strings with its currency, the CHF equivalent and
the rate and date that gave it (stored by the models through
``crm.lib.money``); dates are ISO 8601. Writes validate with the model's
``full_clean`` (the admin's validation) and go through the services where
the admin does.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.lib.money import quantize
from crm.models import Country, ExchangeRate
from partners import services as partner_services
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
from pledges import services as pledge_services
from pledges.models import Installment, Lever, Payment, Pledge, Target
from reports.models import Meeting

User = get_user_model()


def _user(request):
    return getattr(request, "user", None)


class UsernameField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", User.objects.all())
        super().__init__(slug_field="username", **kwargs)


class CleanModelSerializer(serializers.ModelSerializer):
    """Create and update with the model's ``full_clean``, as the admin's forms.

    Subclasses that have a service override ``perform_create`` /
    ``perform_update``.
    """

    def create(self, validated_data):
        many = self._pop_many(validated_data)
        with transaction.atomic():
            instance = self.perform_create(validated_data)
            self._set_many(instance, many)
        return instance

    def update(self, instance, validated_data):
        many = self._pop_many(validated_data)
        with transaction.atomic():
            instance = self.perform_update(instance, validated_data)
            self._set_many(instance, many)
        return instance

    def perform_create(self, data):
        instance = self.Meta.model(**data)
        instance.full_clean()
        instance.save()
        return instance

    def perform_update(self, instance, data):
        for name, value in data.items():
            setattr(instance, name, value)
        instance.full_clean()
        instance.save()
        return instance

    def _pop_many(self, data) -> dict:
        names = [f.name for f in self.Meta.model._meta.many_to_many if f.name in data]
        return {name: data.pop(name) for name in names}

    def _set_many(self, instance, many: dict) -> None:
        for name, values in many.items():
            getattr(instance, name).set(values)


# ---------------------------------------------------------------- reference


class CountrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Country
        fields = [
            "iso3",
            "iso2",
            "m49",
            "name_en",
            "name_fr",
            "itu_name",
            "itu_region",
            "income_group",
            "is_itu_member_state",
            "is_un_member",
            "is_ldc",
        ]


class ExchangeRateSerializer(CleanModelSerializer):
    class Meta:
        model = ExchangeRate
        fields = [
            "id",
            "currency",
            "effective_date",
            "units_per_usd",
            "source",
            "updated_at",
        ]
        validators = []  # the model's constraints, through full_clean


# ---------------------------------------------------------------- partners


class MembershipSerializer(CleanModelSerializer):
    annual_dues_chf = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = [
            "id",
            "partner",
            "type",
            "sector",
            "contribution_class",
            "class_display",
            "reduced_class_approved",
            "start_date",
            "end_date",
            "status",
            "arrears_chf",
            "arrears_as_of",
            "annual_dues_chf",
        ]

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_annual_dues_chf(self, membership: Membership) -> str:
        # One unit value per response, not one query per membership.
        cache = self.context.setdefault("_units", {})
        year = timezone.localdate().year
        if year not in cache:
            cache[year] = UnitValue.for_year(year)
        return str(membership.annual_dues_chf(year, member_state_unit=cache[year]))


class PartnerSerializer(CleanModelSerializer):
    country = serializers.SlugRelatedField(
        slug_field="iso3",
        queryset=Country.objects.all(),
        required=False,
        allow_null=True,
    )
    owner = UsernameField(required=False, allow_null=True)
    tags = serializers.SlugRelatedField(
        slug_field="name", queryset=Tag.objects.all(), many=True, required=False
    )
    memberships = MembershipSerializer(many=True, read_only=True)
    aliases = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    last_engagement_on = serializers.DateField(read_only=True)
    open_followup_count = serializers.IntegerField(read_only=True)
    overdue_followup_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Partner
        fields = [
            "id",
            "code",
            "name",
            "name_fr",
            "short_name",
            "category",
            "country",
            "parent",
            "website",
            "owner",
            "priority",
            "tags",
            "notes",
            "is_active",
            "created_at",
            "updated_at",
            "memberships",
            "aliases",
            "last_engagement_on",
            "open_followup_count",
            "overdue_followup_count",
        ]
        validators = []


class PartnerUpsertSerializer(PartnerSerializer):
    """A partner pushed by code: the code comes from the address."""

    class Meta(PartnerSerializer.Meta):
        read_only_fields = ["code"]


class AffiliationSerializer(CleanModelSerializer):
    class Meta:
        model = Affiliation
        fields = [
            "id",
            "contact",
            "partner",
            "role",
            "position",
            "is_primary",
            "start_date",
            "end_date",
        ]


class ContactSerializer(CleanModelSerializer):
    affiliations = AffiliationSerializer(many=True, read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "title",
            "first_name",
            "last_name",
            "job_title",
            "email",
            "phone",
            "languages",
            "do_not_contact",
            "notes",
            "created_at",
            "updated_at",
            "affiliations",
        ]


class EventSerializer(CleanModelSerializer):
    country = serializers.SlugRelatedField(
        slug_field="iso3",
        queryset=Country.objects.all(),
        required=False,
        allow_null=True,
    )

    class Meta:
        model = Event
        fields = [
            "id",
            "name",
            "kind",
            "start_date",
            "end_date",
            "place",
            "country",
            "website",
            "notes",
        ]


class MeetingSerializer(serializers.ModelSerializer):
    staff = UsernameField(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "title",
            "starts_at",
            "ends_at",
            "place",
            "partners",
            "counterparts",
            "staff",
            "objectives",
            "talking_points",
            "created_at",
            "updated_at",
        ]


class VisibleEngagementField(serializers.PrimaryKeyRelatedField):
    """An engagement the requesting user may see; others do not exist."""

    def get_queryset(self):
        request = self.context.get("request")
        return Engagement.objects.visible_to(_user(request))


class FollowUpSerializer(CleanModelSerializer):
    engagement = VisibleEngagementField(required=False, allow_null=True)
    assignee = UsernameField(required=False, allow_null=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "engagement",
            "partner",
            "description",
            "assignee",
            "due_date",
            "status",
            "done_on",
            "created_at",
        ]
        read_only_fields = ["done_on"]


class EngagementFollowUpSerializer(FollowUpSerializer):
    class Meta(FollowUpSerializer.Meta):
        fields = [f for f in FollowUpSerializer.Meta.fields if f != "engagement"]


class EngagementSerializer(CleanModelSerializer):
    staff = UsernameField(many=True, required=False)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    followups = EngagementFollowUpSerializer(many=True, read_only=True)

    class Meta:
        model = Engagement
        fields = [
            "id",
            "date",
            "kind",
            "subject",
            "summary",
            "outcome",
            "partners",
            "contacts",
            "staff",
            "event",
            "confidential",
            "created_by",
            "created_at",
            "updated_at",
            "followups",
        ]

    def perform_create(self, data):
        request = self.context.get("request")
        return partner_services.engagement_log(created_by=_user(request), **data)

    def create(self, validated_data):
        # engagement_log sets the people itself, in its one transaction.
        return self.perform_create(validated_data)


# ---------------------------------------------------------------- pledges


class LeverSerializer(serializers.ModelSerializer):
    target_chf = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True, allow_null=True
    )
    received_chf = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True
    )
    weighted_pipeline_chf = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True
    )

    class Meta:
        model = Lever
        fields = [
            "id",
            "code",
            "name",
            "description",
            "position",
            "is_active",
            "target_chf",
            "received_chf",
            "weighted_pipeline_chf",
        ]


class TargetSerializer(serializers.ModelSerializer):
    lever = serializers.SlugRelatedField(slug_field="code", read_only=True)
    received_chf = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True
    )
    weighted_pipeline_chf = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True
    )

    class Meta:
        model = Target
        fields = [
            "id",
            "lever",
            "year",
            "amount_chf",
            "received_chf",
            "weighted_pipeline_chf",
            "notes",
        ]


PLEDGE_FIGURES = ("received_amount", "received_chf", "outstanding_amount")


class PledgeSerializer(CleanModelSerializer):
    lever = serializers.SlugRelatedField(
        slug_field="code", queryset=Lever.objects.all()
    )
    owner = UsernameField(required=False, allow_null=True)
    probability = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True
    )
    received_amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True
    )
    received_chf = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True
    )
    outstanding_amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True
    )
    outstanding_chf = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True
    )

    class Meta:
        model = Pledge
        fields = [
            "id",
            "partner",
            "title",
            "lever",
            "stage",
            "probability",
            "kind",
            "earmarking",
            "purpose",
            "amount",
            "currency",
            "amount_chf",
            "chf_rate",
            "rate_date",
            "rate_source",
            "pledged_on",
            "agreement_signed_on",
            "period_start",
            "period_end",
            "expected_by",
            "event",
            "owner",
            "agreement_reference",
            "external_source",
            "external_id",
            "closed_on",
            "closed_reason",
            "notes",
            "created_at",
            "updated_at",
            "received_amount",
            "received_chf",
            "outstanding_amount",
            "outstanding_chf",
        ]
        validators = []

    def validate_currency(self, value: str) -> str:
        return value.strip().upper()

    def perform_create(self, data):
        return pledge_services.pledge_create(**data)

    def perform_update(self, instance, data):
        instance = super().perform_update(instance, data)
        pledge_services.pledge_update_stage(pledge=instance)
        return instance


class PledgeUpsertSerializer(PledgeSerializer):
    class Meta(PledgeSerializer.Meta):
        read_only_fields = ["external_source", "external_id"]


class InstallmentSerializer(CleanModelSerializer):
    currency = serializers.CharField(source="pledge.currency", read_only=True)
    amount_chf = serializers.SerializerMethodField()
    chf_rate = serializers.DecimalField(
        source="pledge.chf_rate", max_digits=30, decimal_places=16, read_only=True
    )
    rate_date = serializers.DateField(source="pledge.rate_date", read_only=True)
    paid_amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, read_only=True
    )
    is_covered = serializers.BooleanField(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Installment
        fields = [
            "id",
            "pledge",
            "due_date",
            "amount",
            "currency",
            "amount_chf",
            "chf_rate",
            "rate_date",
            "note",
            "paid_amount",
            "is_covered",
            "is_overdue",
        ]

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_amount_chf(self, installment: Installment) -> str:
        """At the pledge's rate: an installment is a part of the pledge."""
        return str(quantize(installment.amount * installment.pledge.chf_rate))


class PledgeRefSerializer(serializers.Serializer):
    external_source = serializers.CharField(allow_blank=True, max_length=50)
    external_id = serializers.CharField(max_length=100)


class PaymentSerializer(CleanModelSerializer):
    pledge_ref = PledgeRefSerializer(
        write_only=True,
        required=False,
        help_text="The pledge by its external reference, instead of its id.",
    )
    pledge_currency = serializers.CharField(source="pledge.currency", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "pledge",
            "pledge_ref",
            "installment",
            "received_on",
            "amount",
            "currency",
            "amount_chf",
            "chf_rate",
            "amount_in_pledge_currency",
            "pledge_currency",
            "pledge_rate",
            "rate_source",
            "reference",
            "external_source",
            "external_id",
            "notes",
            "created_at",
        ]
        extra_kwargs = {"pledge": {"required": False}}
        validators = []

    def validate_currency(self, value: str) -> str:
        return value.strip().upper()

    def validate(self, data):
        ref = data.pop("pledge_ref", None)
        if ref is not None:
            pledge = Pledge.objects.filter(
                external_source=ref["external_source"], external_id=ref["external_id"]
            ).first()
            if pledge is None:
                raise serializers.ValidationError(
                    {
                        "pledge_ref": [
                            _("No pledge has external source %(source)r, id %(id)r.")
                            % {
                                "source": ref["external_source"],
                                "id": ref["external_id"],
                            }
                        ]
                    }
                )
            data["pledge"] = pledge
        if "pledge" not in data and self.instance is None:
            raise serializers.ValidationError(
                {"pledge": [_("Give the pledge's id or its pledge_ref.")]}
            )
        return data

    def perform_create(self, data):
        return pledge_services.pledge_record_payment(**data)

    def perform_update(self, instance, data):
        for name, value in data.items():
            setattr(instance, name, value)
        return pledge_services.payment_save(payment=instance)


class PaymentUpsertSerializer(PaymentSerializer):
    class Meta(PaymentSerializer.Meta):
        read_only_fields = ["external_source", "external_id"]
