"""Importable engagements."""

from __future__ import annotations

import re
from typing import ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.imports.engine import (
    ModelImporter,
    RowError,
    cell,
    column_error,
    parsed,
    visible,
)
from crm.imports.registry import register
from crm.lib.names import normalize_name
from crm.lib.parse import parse_bool, parse_date
from partners.importers.matching import (
    PARTNER_COLUMNS,
    PartnerMatcher,
    choice_lookup,
    choice_parser,
    partner_ref,
)
from partners.managers import sees_confidential
from partners.models import Engagement, Partner

ENGAGEMENT_KIND = choice_lookup(
    Engagement.Kind.choices,
    {
        "reunion": Engagement.Kind.MEETING,
        "appel": Engagement.Kind.CALL,
        "mail": Engagement.Kind.EMAIL,
        "courrier": Engagement.Kind.LETTER,
    },
)


@register
class EngagementImporter(ModelImporter):
    """Contact-log entries keyed on date, subject and partners."""

    name = "engagements"
    label = gettext_lazy("Engagements")
    model = Engagement
    headers: ClassVar = {
        "date": ("date", "date de la reunion", "meeting date", "date of contact"),
        "kind": ("kind", "type", "genre", "nature"),
        "subject": ("subject", "objet", "sujet", "title", "titre", "topic"),
        "summary": ("summary", "résumé", "resume", "notes", "compte rendu"),
        "outcome": ("outcome", "résultat", "resultat", "result"),
        "partner": (*PARTNER_COLUMNS["partner"], "partners", "partenaires"),
        "partner_code": PARTNER_COLUMNS["partner_code"],
        "country": PARTNER_COLUMNS["country"],
        "confidential": ("confidential", "confidentiel"),
    }
    required = ("date", "subject")
    required_any = (("partner", "partner_code", "country"),)
    compare = ("date", "subject", "kind", "summary", "outcome", "confidential")

    def prepare(self, rows) -> None:
        self.matcher = PartnerMatcher(self.options.partner_choices)
        self.existing = {}
        self.seen = {}
        # Only what the user sees: a row matching a hidden (confidential)
        # engagement finds nothing, plans as new and, confirmed, is created
        # as a record of its own; the hidden one is never read, shown or
        # changed, and the outcome tells nothing of its existence.
        shown = visible(Engagement, self.user)
        links: dict[int, set[int]] = {}
        for (
            engagement_id,
            partner_id,
        ) in Engagement.partners.through.objects.filter(
            engagement__in=shown
        ).values_list("engagement_id", "partner_id"):
            links.setdefault(engagement_id, set()).add(partner_id)
        for row in shown.values("pk", *self.compare).iterator():
            pk = row.pop("pk")
            row["partners"] = frozenset(links.get(pk, ()))
            self.existing[self.key_of(row)] = (pk, row)

    def key_of(self, data: dict) -> object:
        partners = frozenset(
            p if isinstance(p, int) else id(p) for p in data["partners"]
        )
        return (data["date"], normalize_name(data["subject"]), partners)

    def values(self, values: dict, line: int) -> dict:
        data: dict = {
            "date": parsed(
                self, values, "date", parse_date, dayfirst=self.options.dayfirst
            ),
            "subject": str(cell(self, values, "subject") or "")[:200],
        }
        if not data["date"] or not data["subject"]:
            raise RowError(_("an engagement needs a date and a subject."))
        names = str(cell(self, values, "partner") or "")
        partners = []
        for name in [n for n in re.split(r"[;|\n]", names) if n.strip()] or [None]:
            single = dict(values, partner=name)
            partners.append(partner_ref(self, single))
        data["partners"] = partners
        if self.has("kind"):
            kind = parsed(self, values, "kind", choice_parser(ENGAGEMENT_KIND, "kind"))
            if not kind:
                self.apply_default(_("kind"), Engagement.Kind.MEETING.label)
            data["kind"] = kind or Engagement.Kind.MEETING
        for field in ("summary", "outcome"):
            if self.has(field):
                data[field] = str(cell(self, values, field) or "")
        if self.has("confidential"):
            data["confidential"] = bool(
                parsed(self, values, "confidential", parse_bool)
            )
        return data

    def defaults(self, data: dict) -> dict:
        if "kind" not in data:
            self.apply_default(_("kind"), Engagement.Kind.MEETING.label)
        return data

    def new_object(self, data: dict):
        partners = data.pop("partners")
        engagement = Engagement(created_by=self.user, **data)
        engagement._import_partners = partners
        return engagement

    def plan(self, values: dict, line: int):
        outcome, plan, why = super().plan(values, line)
        if outcome == "update":
            pk, changes = plan
            changes.pop("partners", None)
            if not changes:
                return "unchanged", pk, ""
            if "confidential" in changes and not sees_confidential(self.user):
                raise column_error(
                    self,
                    "confidential",
                    cell(self, values, "confidential"),
                    _(
                        "making an engagement confidential or not needs the "
                        "permission to view confidential engagements."
                    ),
                )
        return outcome, plan, why

    def after_create(self, objects: list) -> None:
        self.matcher.save_created()
        through = Engagement.partners.through
        links = []
        for engagement in objects:
            for partner in engagement._import_partners:
                partner_id = partner.pk if isinstance(partner, Partner) else partner
                links.append(
                    through(engagement_id=engagement.pk, partner_id=partner_id)
                )
        through.objects.bulk_create(links)

    def before_create(self, objects: list) -> None:
        self.matcher.save_created()
