"""Importable contacts, with their affiliation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.imports.engine import (
    ModelImporter,
    cell,
    column_error,
    parsed,
    visible,
)
from crm.imports.registry import register
from crm.lib.names import normalize_name
from crm.lib.parse import clean_name, parse_bool, parse_date
from partners.importers.matching import (
    PARTNER_COLUMNS,
    PartnerMatcher,
    choice_lookup,
    choice_parser,
    partner_ref,
    set_partner,
)
from partners.models import Affiliation, Contact

CONTACT_ROLE = choice_lookup(
    Affiliation.Role.choices,
    {
        "ambassador": Affiliation.Role.AMBASSADOR,
        "ambassadeur": Affiliation.Role.AMBASSADOR,
        "permanent representative": Affiliation.Role.AMBASSADOR,
        "representant permanent": Affiliation.Role.AMBASSADOR,
        "ceo": Affiliation.Role.HEAD,
        "focal point": Affiliation.Role.FOCAL_POINT,
        "point focal": Affiliation.Role.FOCAL_POINT,
    },
)
CONTACT_TITLE = choice_lookup(
    Contact.Title.choices,
    {
        "mr.": "Mr",
        "ms.": "Ms",
        "mrs.": "Mrs",
        "dr.": "Dr",
        "prof": "Prof.",
        "m": "Mr",
        "mme": "Mrs",
        "his excellency": "H.E.",
        "her excellency": "H.E.",
        "s e": "H.E.",
    },
)


@register
class ContactImporter(ModelImporter):
    """Contacts keyed on e-mail (else on the name), with their affiliation."""

    name = "contacts"
    label = gettext_lazy("Contacts")
    model = Contact
    headers: ClassVar = {
        "title": ("title", "titre", "salutation", "civilite"),
        "first_name": ("first name", "prénom", "prenom", "given name"),
        "last_name": ("last name", "nom", "surname", "family name", "nom de famille"),
        "full_name": ("name", "full name", "contact", "nom complet", "contact name"),
        "email": ("email", "e-mail", "courriel", "email address", "adresse e-mail"),
        "phone": ("phone", "téléphone", "telephone", "tel"),
        "job_title": ("job title", "fonction", "poste"),
        "languages": ("languages", "langues"),
        **PARTNER_COLUMNS,
        "role": ("role", "rôle"),
        "position": ("position", "titre du poste"),
        "start_date": ("from", "since", "start date", "depuis", "date de debut"),
        "is_primary": ("primary", "primary contact", "contact principal"),
    }
    required_any = (("last_name", "full_name"),)
    compare = (
        "title",
        "first_name",
        "last_name",
        "email",
        "phone",
        "job_title",
        "languages",
    )

    def prepare(self, rows) -> None:
        super().prepare(rows)
        self.matcher = PartnerMatcher(self.options.partner_choices)
        self.affiliations = set(
            Affiliation.objects.values_list("contact_id", "partner_id", "role")
        )

    def key_of(self, data: dict) -> object:
        if data.get("email"):
            return data["email"].lower()
        return (
            normalize_name(data.get("first_name")),
            normalize_name(data["last_name"]),
        )

    def existing_values(self):
        for row in visible(Contact, self.user).values("pk", *self.compare).iterator():
            if row.get("email"):
                # Also findable by name when a later file has no e-mail.
                copy = {k: v for k, v in row.items() if k != "pk"}
                copy["email"] = ""
                self.existing.setdefault(self.key_of(copy), (row["pk"], copy))
            yield row

    def values(self, values: dict, line: int) -> dict:
        data: dict = {}
        first = cell(self, values, "first_name")
        last = cell(self, values, "last_name")
        full = cell(self, values, "full_name")
        if not last and full:
            parts = clean_name(full).rsplit(" ", 1)
            first, last = (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])
        if not last:
            raise column_error(self, "last_name", last, _("a contact needs a name."))
        data["first_name"] = clean_name(first or "")
        data["last_name"] = clean_name(last)
        if self.has("title"):
            title = parsed(self, values, "title", choice_parser(CONTACT_TITLE, "title"))
            data["title"] = title or ""
        for field in ("email", "phone", "job_title", "languages"):
            if self.has(field):
                data[field] = str(cell(self, values, field) or "")
        if "email" in data:
            data["email"] = data["email"].lower()
        self._affiliation = None
        partner = partner_ref(self, values, required=False)
        if partner is not None:
            role = parsed(self, values, "role", choice_parser(CONTACT_ROLE, "role"))
            self._affiliation = {
                "partner": partner,
                "role": role or Affiliation.Role.OTHER,
                "position": str(cell(self, values, "position") or ""),
                "start_date": parsed(
                    self,
                    values,
                    "start_date",
                    parse_date,
                    dayfirst=self.options.dayfirst,
                ),
                "is_primary": bool(parsed(self, values, "is_primary", parse_bool)),
            }
        return data

    def plan(self, values: dict, line: int):
        outcome, plan, why = super().plan(values, line)
        affiliation = self._affiliation
        if affiliation is None:
            return outcome, plan, why
        partner = affiliation["partner"]
        contact_pk = (
            plan
            if outcome == "unchanged"
            else (plan[0] if outcome == "update" else None)
        )
        partner_pk = partner if isinstance(partner, int) else None
        if (
            contact_pk
            and partner_pk
            and (contact_pk, partner_pk, affiliation["role"]) in self.affiliations
        ):
            return outcome, plan, why
        if outcome == "unchanged":
            outcome, plan = "update", (contact_pk, {})
            why = _("adds the affiliation")
        return outcome, _WithAffiliation(plan, affiliation), why

    def check(self, results) -> None:
        # Updates: unwrap, check the contact, rewrap.
        for result in results:
            if result.outcome == "update" and isinstance(result.plan, _WithAffiliation):
                result.affiliation = result.plan.affiliation  # type: ignore[attr-defined]
                result.plan = result.plan.plan
        super().check(results)
        for result in results:
            extra = getattr(result, "affiliation", None)
            if extra is not None and result.outcome == "update":
                result.plan = _WithAffiliation(result.plan, extra)

    def write(self, plans, progress) -> None:
        self.matcher.save_created()
        links = []
        for result in plans:
            if isinstance(result.plan, _WithAffiliation):
                links.append(result.plan)
                result.plan = result.plan.plan
        super().write(plans, progress)
        affiliations = []
        for link in links:
            contact = link.plan if isinstance(link.plan, Contact) else link.plan[0]
            fields = {k: v for k, v in link.affiliation.items() if k != "partner"}
            affiliation = Affiliation(contact=contact, **fields)
            set_partner(affiliation, "partner", link.affiliation["partner"])
            self.stamp(affiliation)
            affiliation.full_clean(
                exclude=["contact", "partner"],
                validate_unique=False,
                validate_constraints=False,
            )
            affiliations.append(affiliation)
        Affiliation.objects.bulk_create(affiliations)


@dataclass
class _WithAffiliation:
    plan: object
    affiliation: dict
