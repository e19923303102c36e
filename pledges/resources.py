"""What the Pledges and Payments lists' *Export* writes.

django-import-export resources, for export only: each declares its columns,
named and written as the matching importer (``pledges/importers/``) reads
them, so an exported file imports back as "already up to date".
"""

from __future__ import annotations

from import_export import resources
from import_export.fields import Field
from import_export.widgets import ForeignKeyWidget

from partners.models import Partner
from pledges.models import Lever, Payment, Pledge


class PledgeResource(resources.ModelResource):
    # The partner by its CRM id (matched first) and, for the reader, its name.
    partner_id = Field("partner_id", "partner id")
    partner = Field("partner", "partner", ForeignKeyWidget(Partner, "name"))
    lever = Field("lever", "lever", ForeignKeyWidget(Lever, "code"))

    class Meta:
        model = Pledge
        fields = (
            "partner_id",
            "partner",
            "title",
            "lever",
            "stage",
            "kind",
            "earmarking",
            "amount",
            "currency",
            "pledged_on",
            "agreement_signed_on",
            "expected_by",
            "agreement_reference",
            "purpose",
            "notes",
            "external_source",
            "external_id",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("partner", "lever")


class PaymentResource(resources.ModelResource):
    # The pledge by its CRM id, which the importer reads as a pledge reference.
    pledge = Field("pledge_id", "pledge")

    class Meta:
        model = Payment
        fields = (
            "pledge",
            "received_on",
            "amount",
            "currency",
            "reference",
            "external_source",
            "external_id",
            "notes",
        )
        export_order = fields
