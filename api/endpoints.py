"""The API's endpoints: one viewset per resource, on the apps' querysets.

Visibility is the admin's: engagements and follow-ups through ``visible_to``,
partner counts through ``with_activity(user)``, partner search through
``Partner.objects.search`` (the admin's search box calls it too). Nothing here
decides who sees what.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import filters, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api import filters as api_filters
from api import serializers as s
from api.problems import problem
from api.upserts import ERROR, OUTCOMES, upsert
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
from pledges import services as pledge_services
from pledges.models import Installment, Lever, Payment, Pledge, Target
from reports.models import Meeting


class PartnerSearch(filters.SearchFilter):
    """``?search=``: the partner search the admin's search box uses, word by word."""

    def filter_queryset(self, request, queryset, view):
        return queryset.search(request.query_params.get(self.search_param, ""))


class ModelViewSet(viewsets.ModelViewSet):
    """Reads, and writes through the serializer's services.

    A record just written is read again through ``get_queryset``, so the
    answer carries the same computed figures as the list.
    """

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def _reload(self, serializer) -> None:
        # None when written but not visible to its author (a confidential
        # engagement written by someone without the permission).
        found = self.get_queryset().filter(pk=serializer.instance.pk).first()
        if found is not None:
            serializer.instance = found

    def perform_create(self, serializer) -> None:
        serializer.save()
        self._reload(serializer)

    def perform_update(self, serializer) -> None:
        serializer.save()
        self._reload(serializer)


class UpsertMixin:
    """``PUT .../by-ref/{source}/{id}`` and ``POST .../bulk``."""

    upsert_serializer_class: type = None

    def _check_upsert_permission(self, request) -> None:
        opts = self.get_queryset().model._meta
        for action_name in ("add", "change"):
            if not request.user.has_perm(
                f"{opts.app_label}.{action_name}_{opts.model_name}"
            ):
                raise PermissionDenied(
                    _("Creating or updating %(models)s needs both permissions.")
                    % {"models": opts.verbose_name_plural}
                )

    def _upsert_one(self, request, key: dict) -> Response:
        self._check_upsert_permission(request)
        outcome = upsert(
            serializer_class=self.upsert_serializer_class,
            key=key,
            data=request.data,
            context=self.get_serializer_context(),
        )
        if outcome.outcome == ERROR:
            first = outcome.errors[0] if outcome.errors else {}
            return problem(
                status_code=status.HTTP_400_BAD_REQUEST,
                title=_("Invalid input"),
                detail=_("%(field)s: %(message)s (value sent: %(value)r)")
                % {
                    "field": first.get("field") or _("record"),
                    "message": first.get("message", ""),
                    "value": first.get("value"),
                },
                kind="invalid",
                request=request,
                errors=outcome.errors,
            )
        instance = self.get_queryset().filter(pk=outcome.instance.pk).first()
        body = {
            "outcome": outcome.outcome,
            "record": self.get_serializer(instance or outcome.instance).data,
        }
        code = status.HTTP_201_CREATED if outcome.outcome == "new" else 200
        return Response(body, status=code)

    def _bulk(self, request, key_of) -> Response:
        self._check_upsert_permission(request)
        records = (
            request.data.get("records") if isinstance(request.data, dict) else None
        )
        most = settings.API_BULK_MAX
        if not isinstance(records, list) or not records or len(records) > most:
            return problem(
                status_code=status.HTTP_400_BAD_REQUEST,
                title=_("Invalid input"),
                detail=_('Send {"records": [...]} with 1 to %(most)d records.')
                % {"most": most},
                kind="invalid",
                request=request,
                errors=[
                    {
                        "field": "records",
                        "value": None,
                        "message": _("1 to %(most)d records.") % {"most": most},
                    }
                ],
            )
        valid_only = request.query_params.get("valid_only") in ("1", "true", "yes")
        context = self.get_serializer_context()
        results = []
        with transaction.atomic():
            for index, record in enumerate(records):
                key, key_errors = key_of(record)
                if key_errors:
                    results.append(
                        {"index": index, "outcome": ERROR, "errors": key_errors}
                    )
                    continue
                outcome = upsert(
                    serializer_class=self.upsert_serializer_class,
                    key=key,
                    data=record,
                    context=context,
                )
                results.append(outcome.as_dict(index))
            counts = {name: 0 for name in OUTCOMES}
            for row in results:
                counts[row["outcome"]] += 1
            failed = counts[ERROR] and not valid_only
            if failed:
                transaction.set_rollback(True)
        if failed:
            return problem(
                status_code=status.HTTP_400_BAD_REQUEST,
                title=_("Invalid input"),
                detail=_(
                    "%(errors)d of %(total)d records are not valid: nothing was "
                    "written. Fix them, or send ?valid_only=1 to write the others."
                )
                % {"errors": counts[ERROR], "total": len(records)},
                kind="invalid",
                request=request,
                written=False,
                counts=counts,
                results=results,
            )
        return Response({"written": True, "counts": counts, "results": results})


def _ref_key(record) -> tuple[dict, list]:
    if not isinstance(record, dict):
        return {}, [{"field": "", "value": None, "message": _("Send an object.")}]
    errors = []
    key = {}
    for name in ("external_source", "external_id"):
        value = record.get(name)
        if not isinstance(value, str) or not value.strip():
            errors.append(
                {
                    "field": name,
                    "value": value if not isinstance(value, dict | list) else None,
                    "message": _("Required: the record's key in your system."),
                }
            )
        else:
            key[name] = value.strip()
    return key, errors


def _code_key(record) -> tuple[dict, list]:
    if not isinstance(record, dict) or not isinstance(record.get("code"), str):
        value = record.get("code") if isinstance(record, dict) else None
        return {}, [
            {
                "field": "code",
                "value": value if not isinstance(value, dict | list) else None,
                "message": _("Required: the partner code."),
            }
        ]
    return {"code": record["code"].strip()}, []


BULK_BODY = inline_serializer(
    "BulkRequest", {"records": serializers.ListField(child=serializers.DictField())}
)
BULK_ANSWER = inline_serializer(
    "BulkAnswer",
    {
        "written": serializers.BooleanField(),
        "counts": serializers.DictField(child=serializers.IntegerField()),
        "results": serializers.ListField(child=serializers.DictField()),
    },
)
VALID_ONLY = OpenApiParameter(
    "valid_only",
    bool,
    description="Write the valid records even if some are not (default: none).",
)


def _upsert_answer(serializer_class):
    return inline_serializer(
        f"{serializer_class.Meta.model.__name__}UpsertAnswer",
        {
            "outcome": serializers.ChoiceField(choices=OUTCOMES),
            "record": serializer_class(),
        },
    )


# ---------------------------------------------------------------- reference


class CountryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Country.objects.all()
    serializer_class = s.CountrySerializer
    filterset_class = api_filters.CountryFilter
    lookup_field = "iso3"
    ordering_fields = ["iso3", "name_en"]
    ordering = "iso3"


class ExchangeRateViewSet(ModelViewSet):
    queryset = ExchangeRate.objects.all()
    serializer_class = s.ExchangeRateSerializer
    filterset_class = api_filters.ExchangeRateFilter
    ordering_fields = ["pk", "effective_date", "updated_at"]


# ---------------------------------------------------------------- partners


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("search", str)]))
class PartnerViewSet(UpsertMixin, ModelViewSet):
    serializer_class = s.PartnerSerializer
    upsert_serializer_class = s.PartnerUpsertSerializer
    filterset_class = api_filters.PartnerFilter
    filter_backends = [*viewsets.ModelViewSet.filter_backends, PartnerSearch]
    ordering_fields = ["pk", "name", "updated_at"]

    def get_queryset(self):
        return (
            Partner.objects.with_activity(self.request.user)
            .select_related("country", "owner")
            .prefetch_related("memberships", "tags", "aliases")
        )

    @extend_schema(
        request=s.PartnerUpsertSerializer, responses=_upsert_answer(s.PartnerSerializer)
    )
    @action(detail=False, methods=["put"], url_path=r"by-code/(?P<code>[-a-zA-Z0-9_]+)")
    def by_code(self, request, code: str):
        """Create or update the partner with this code (idempotent)."""
        return self._upsert_one(request, {"code": code})

    @extend_schema(request=BULK_BODY, responses=BULK_ANSWER, parameters=[VALID_ONLY])
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Create or update many partners by code, all or nothing."""
        return self._bulk(request, _code_key)


class MembershipViewSet(ModelViewSet):
    queryset = Membership.objects.select_related("partner__country")
    serializer_class = s.MembershipSerializer
    filterset_class = api_filters.MembershipFilter
    ordering_fields = ["pk", "start_date"]


class ContactViewSet(ModelViewSet):
    queryset = Contact.objects.prefetch_related("affiliations")
    serializer_class = s.ContactSerializer
    filterset_class = api_filters.ContactFilter
    filter_backends = [*viewsets.ModelViewSet.filter_backends, filters.SearchFilter]
    search_fields = ["first_name", "last_name", "email", "job_title"]
    ordering_fields = ["pk", "last_name", "updated_at"]


class AffiliationViewSet(ModelViewSet):
    queryset = Affiliation.objects.all()
    serializer_class = s.AffiliationSerializer
    filterset_class = api_filters.AffiliationFilter
    ordering_fields = ["pk", "start_date"]


class EventViewSet(ModelViewSet):
    queryset = Event.objects.select_related("country")
    serializer_class = s.EventSerializer
    filterset_class = api_filters.EventFilter
    ordering_fields = ["pk", "start_date"]


class MeetingViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Meeting.objects.prefetch_related("partners", "counterparts", "staff")
    serializer_class = s.MeetingSerializer
    filterset_class = api_filters.MeetingFilter
    ordering_fields = ["pk", "starts_at"]


class EngagementViewSet(ModelViewSet):
    serializer_class = s.EngagementSerializer
    filterset_class = api_filters.EngagementFilter
    filter_backends = [*viewsets.ModelViewSet.filter_backends, filters.SearchFilter]
    search_fields = ["subject", "summary", "outcome"]
    ordering_fields = ["pk", "date", "updated_at"]

    def get_queryset(self):
        user = self.request.user
        return (
            Engagement.objects.visible_to(user)
            .select_related("created_by")
            .prefetch_related(
                "partners",
                "contacts",
                "staff",
                Prefetch(
                    "followups",
                    queryset=FollowUp.objects.visible_to(user).select_related(
                        "assignee"
                    ),
                ),
            )
        )


class FollowUpViewSet(ModelViewSet):
    serializer_class = s.FollowUpSerializer
    filterset_class = api_filters.FollowUpFilter
    ordering_fields = ["pk", "due_date"]

    def get_queryset(self):
        return FollowUp.objects.visible_to(self.request.user).select_related("assignee")


# ---------------------------------------------------------------- pledges


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("year", int, description="Figures of this year")]
    )
)
class LeverViewSet(viewsets.ReadOnlyModelViewSet):
    """Levers with the year's target, received and weighted pipeline (CHF)."""

    serializer_class = s.LeverSerializer
    ordering_fields = ["pk", "position"]

    def get_queryset(self):
        year = self.request.query_params.get("year") if self.request else None
        if year is not None and not (year.isdigit() and 2000 <= int(year) <= 2100):
            raise serializers.ValidationError(
                {"year": [_("A year between 2000 and 2100.")]}
            )
        return Lever.objects.with_year_figures(int(year) if year else None)


class TargetViewSet(viewsets.ReadOnlyModelViewSet):
    """Targets with what was received and the weighted pipeline of their year."""

    queryset = Target.objects.with_progress().select_related("lever")
    serializer_class = s.TargetSerializer
    filterset_class = api_filters.TargetFilter
    ordering_fields = ["pk", "year"]


class PledgeViewSet(UpsertMixin, ModelViewSet):
    serializer_class = s.PledgeSerializer
    upsert_serializer_class = s.PledgeUpsertSerializer
    filterset_class = api_filters.PledgeFilter
    ordering_fields = ["pk", "pledged_on", "updated_at"]

    def get_queryset(self):
        return Pledge.objects.with_figures().select_related("lever", "owner")

    @extend_schema(
        request=s.PledgeUpsertSerializer, responses=_upsert_answer(s.PledgeSerializer)
    )
    @action(
        detail=False,
        methods=["put"],
        url_path=r"by-ref/(?P<source>[^/]+)/(?P<external_id>[^/]+)",
    )
    def by_ref(self, request, source: str, external_id: str):
        """Create or update the pledge with this external reference (idempotent)."""
        return self._upsert_one(
            request, {"external_source": source, "external_id": external_id}
        )

    @extend_schema(request=BULK_BODY, responses=BULK_ANSWER, parameters=[VALID_ONLY])
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Create or update many pledges by external reference, all or nothing."""
        return self._bulk(request, _ref_key)


class InstallmentViewSet(ModelViewSet):
    serializer_class = s.InstallmentSerializer
    filterset_class = api_filters.InstallmentFilter
    ordering_fields = ["pk", "due_date"]

    def get_queryset(self):
        return Installment.objects.with_coverage().select_related("pledge")


class PaymentViewSet(UpsertMixin, ModelViewSet):
    queryset = Payment.objects.select_related("pledge")
    serializer_class = s.PaymentSerializer
    upsert_serializer_class = s.PaymentUpsertSerializer
    filterset_class = api_filters.PaymentFilter
    ordering_fields = ["pk", "received_on"]

    def perform_destroy(self, instance) -> None:
        pledge_services.payment_delete(payment=instance)

    @extend_schema(
        request=s.PaymentUpsertSerializer, responses=_upsert_answer(s.PaymentSerializer)
    )
    @action(
        detail=False,
        methods=["put"],
        url_path=r"by-ref/(?P<source>[^/]+)/(?P<external_id>[^/]+)",
    )
    def by_ref(self, request, source: str, external_id: str):
        """Create or update the payment with this external reference (idempotent)."""
        return self._upsert_one(
            request, {"external_source": source, "external_id": external_id}
        )

    @extend_schema(request=BULK_BODY, responses=BULK_ANSWER, parameters=[VALID_ONLY])
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Create or update many payments by external reference, all or nothing."""
        return self._bulk(request, _ref_key)


# Exposed for the router and the tests: every resource of the API.
RESOURCES = {
    "partners": PartnerViewSet,
    "memberships": MembershipViewSet,
    "contacts": ContactViewSet,
    "affiliations": AffiliationViewSet,
    "events": EventViewSet,
    "meetings": MeetingViewSet,
    "engagements": EngagementViewSet,
    "followups": FollowUpViewSet,
    "levers": LeverViewSet,
    "targets": TargetViewSet,
    "pledges": PledgeViewSet,
    "installments": InstallmentViewSet,
    "payments": PaymentViewSet,
    "exchange-rates": ExchangeRateViewSet,
    "countries": CountryViewSet,
}
