"""What the Partners, Contacts and Engagements lists' *Export* writes.

django-import-export resources, for export only: each declares its columns,
named and written as the matching importer (``partners/importers/``) reads
them, so an exported file imports back as "already up to date".
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from import_export import resources
from import_export.fields import Field
from import_export.widgets import ForeignKeyWidget, ManyToManyWidget

from crm.models import Country
from partners.models import Contact, Engagement, Partner, Tag


class PartnerResource(resources.ModelResource):
    # Read back by the partner matcher: the id first, then code, country, name.
    country = Field("country", "country", ForeignKeyWidget(Country, "iso3"))
    parent = Field("parent", "parent", ForeignKeyWidget(Partner, "name"))
    owner = Field("owner", "owner", ForeignKeyWidget(get_user_model(), "username"))
    tags = Field("tags", "tags", ManyToManyWidget(Tag, separator="; ", field="name"))

    class Meta:
        model = Partner
        fields = (
            "id",
            "name",
            "name_fr",
            "short_name",
            "code",
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
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("country", "parent", "owner").prefetch_related(
            "tags"
        )


class ContactResource(resources.ModelResource):
    class Meta:
        model = Contact
        # Keyed on the e-mail, else the first and last names.
        fields = (
            "title",
            "first_name",
            "last_name",
            "email",
            "phone",
            "job_title",
            "languages",
        )
        export_order = fields


class EngagementResource(resources.ModelResource):
    # Keyed on the date, the subject and the partners (by name).
    partners = Field(
        "partners", "partners", ManyToManyWidget(Partner, separator="; ", field="name")
    )

    class Meta:
        model = Engagement
        fields = (
            "date",
            "kind",
            "subject",
            "summary",
            "outcome",
            "partners",
            "confidential",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.prefetch_related("partners")
