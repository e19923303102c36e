"""Importable partners."""

from __future__ import annotations

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
from crm.lib.parse import clean_name
from partners.importers.matching import (
    PARTNER_COLUMNS,
    PartnerMatcher,
    parse_category,
)
from partners.models import Partner


@register
class PartnerImporter(ModelImporter):
    name = "partners"
    label = gettext_lazy("Partners")
    model = Partner
    headers: ClassVar = {
        **PARTNER_COLUMNS,
        # "id" and "name": the Partners list's Export writes them.
        "partner": (*PARTNER_COLUMNS["partner"], "name"),
        "partner_id": (*PARTNER_COLUMNS["partner_id"], "id"),
        "partner_code": (*PARTNER_COLUMNS["partner_code"], "code"),
        "name_fr": ("name (french)", "nom (francais)", "french name", "nom francais"),
        "short_name": ("short name", "acronym", "acronyme", "sigle", "nom court"),
        "category": (
            "category",
            "catégorie",
            "type",
            "organisation type",
            "organization type",
            "type d organisation",
        ),
        "website": ("website", "site web", "url", "web"),
        "notes": ("notes", "remarques", "comments", "commentaires"),
    }
    required_any = (("partner", "partner_code", "country"),)
    compare = ("name", "name_fr", "short_name", "category", "website", "notes", "code")

    def prepare(self, rows) -> None:
        self.matcher = PartnerMatcher(self.options.partner_choices)
        self.seen = {}

    def plan(self, values: dict, line: int):
        name = cell(self, values, "partner")
        name = clean_name(name) if name is not None else None
        code = cell(self, values, "partner_code")
        found = self.matcher.match(
            name=name,
            code=str(code) if code else None,
            country=cell(self, values, "country"),
            partner_id=cell(self, values, "partner_id"),
        )
        data = {}
        for field in ("name_fr", "short_name", "website", "notes"):
            if self.has(field):
                data[field] = str(cell(self, values, field) or "")
        if self.has("category") and cell(self, values, "category") is not None:
            data["category"] = parsed(self, values, "category", parse_category)
        if code:
            data["code"] = str(code).strip()
        if found.suggestion:
            raise RowError(
                _(
                    "partner %(name)r is not known; did you mean %(suggestion)s "
                    "(%(score)s%% alike)? Confirm the suggestion to update it, or "
                    "correct the name."
                )
                % {
                    "name": name,
                    "suggestion": found.suggestion.partner_name,
                    "score": found.suggestion.score,
                },
                suggestion=found.suggestion,
            )
        key = found.partner_id or ("new", normalize_name(name or ""), code)
        if key in self.seen:
            raise RowError(
                _("the same partner as row %(line)s.") % {"line": self.seen[key]}
            )
        self.seen[key] = line
        if found.partner_id:
            current = self._current(found.partner_id)
            changes = {k: v for k, v in data.items() if current[k] != v}
            self.current = current
            if not changes:
                return "unchanged", found.partner_id, ""
            return (
                "update",
                (found.partner_id, changes),
                _("changes %(fields)s") % {"fields": ", ".join(changes)},
            )
        if not name:
            raise column_error(
                self,
                "partner" if self.has("partner") else "country",
                cell(self, values, "country") or code,
                _("no partner of that code or country; give a name to create it."),
            )
        if "category" not in data:
            self.apply_default(_("category"), Partner.Category.OTHER.label)
        partner = Partner(
            name=name[:200],
            category=data.pop("category", Partner.Category.OTHER),
            country_id=self.matcher.country(cell(self, values, "country"))
            if self.has("country")
            else None,
            **data,
        )
        if found.country_id and partner.category == Partner.Category.GOVERNMENT:
            partner.country_id = found.country_id
        if partner.category == Partner.Category.GOVERNMENT and (
            partner.country_id in self.matcher.government or partner.country_id is None
        ):
            raise RowError(
                _("a government partner needs a country without one: %(name)s.")
                % {"name": name}
            )
        self.stamp(partner)
        self.clean_new(partner)
        return "new", partner, ""

    def describe(self, outcome: str, plan) -> dict | None:
        """An update's changes, and the partner it updates and how it was found."""
        detail = super().describe(outcome, plan)
        found = self.matcher.last
        if detail is not None and found is not None and found.partner_id:
            detail["partner"] = [
                found.partner_id,
                self.matcher.names.get(found.partner_id),
                found.via,
            ]
        return detail

    def _current(self, pk: int) -> dict:
        if not hasattr(self, "_existing"):
            self._existing = {
                row.pop("pk"): row
                for row in visible(Partner, self.user)
                .values("pk", *self.compare)
                .iterator()
            }
        return self._existing[pk]
