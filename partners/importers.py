"""Importable partners, contacts (with their affiliation) and engagements.

``PartnerMatcher`` finds the partner a spreadsheet means, in a fixed order:
the CRM's partner id, the partner code, a country code or name (a Member
State's government partner), the normalised name and its aliases; a close
spelling (rapidfuzz) is only a suggestion for the user to confirm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from crm.imports.engine import (
    ModelImporter,
    RowError,
    Suggestion,
    cell,
    column_error,
    parsed,
    visible,
)
from crm.imports.registry import register
from crm.lib.names import normalize_name
from crm.lib.parse import clean_name, parse_bool, parse_code, parse_date
from crm.models import Country, CountryAlias
from partners.managers import sees_confidential
from partners.models import Affiliation, Contact, Engagement, Partner

FUZZY_CUTOFF = 85
_GOVERNMENT_WORDS = re.compile(
    r"^(?:the )?government of (?:the )?"
    r"|^gouvernement (?:de la |du |des |de l |de |d )"
    r"| government$"
)

# IATI OrganisationType codes and common words -> partner category.
CATEGORY_CODES = {
    "10": Partner.Category.GOVERNMENT,
    "11": Partner.Category.GOVERNMENT_AGENCY,
    "15": Partner.Category.GOVERNMENT_AGENCY,
    "21": Partner.Category.CIVIL_SOCIETY,
    "22": Partner.Category.CIVIL_SOCIETY,
    "23": Partner.Category.CIVIL_SOCIETY,
    "24": Partner.Category.CIVIL_SOCIETY,
    "30": Partner.Category.OTHER,
    "40": Partner.Category.IGO,
    "60": Partner.Category.FOUNDATION,
    "70": Partner.Category.PRIVATE_SECTOR,
    "71": Partner.Category.PRIVATE_SECTOR,
    "72": Partner.Category.PRIVATE_SECTOR,
    "73": Partner.Category.PRIVATE_SECTOR,
    "80": Partner.Category.ACADEMIA,
    "90": Partner.Category.OTHER,
}


def choice_lookup(choices, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Normalised value or label (English and French) -> stored value."""
    from django.utils import translation

    table: dict[str, str] = {}
    for value, label in choices:
        table[normalize_name(value)] = value
        table[normalize_name(str(label))] = value
        with translation.override("fr"):
            table[normalize_name(str(label))] = value
    for word, value in (extra or {}).items():
        table[normalize_name(word)] = value
    return table


CATEGORY_WORDS = choice_lookup(
    Partner.Category.choices,
    {
        "multilateral": Partner.Category.IGO,
        "private": Partner.Category.PRIVATE_SECTOR,
        "company": Partner.Category.PRIVATE_SECTOR,
        "ngo": Partner.Category.CIVIL_SOCIETY,
        "university": Partner.Category.ACADEMIA,
        "un agency": Partner.Category.UN_ENTITY,
        "governments": Partner.Category.GOVERNMENT,
    },
)


def parse_category(value: object) -> str:
    code, label = parse_code(value)
    if code in CATEGORY_CODES:
        return CATEGORY_CODES[code]
    for text in (label, code, str(value)):
        found = CATEGORY_WORDS.get(normalize_name(text))
        if found:
            return found
    raise ValueError(_("not a partner category"))


@dataclass(frozen=True)
class PartnerMatch:
    partner_id: int | None
    via: str
    country_id: int | None = None  # the country a government name points to
    suggestion: Suggestion | None = None


class PartnerMatcher:
    """All partners, codes, countries and aliases in memory, for one file."""

    def __init__(self, confirmed: dict[str, int] | None = None) -> None:
        self.confirmed = {k: int(v) for k, v in (confirmed or {}).items()}
        self.ids: set[int] = set()
        self.by_code: dict[str, int] = {}
        self.by_name: dict[str, set[int]] = {}
        self.government: dict[int, int] = {}
        self.names: dict[int, str] = {}
        rows = Partner.objects.values_list(
            "pk", "name", "name_fr", "short_name", "code", "category", "country_id"
        )
        for pk, name, name_fr, short, code, category, country_id in rows:
            self.ids.add(pk)
            self.names[pk] = name
            if code:
                self.by_code[code.lower()] = pk
            for text in (name, name_fr, short):
                key = normalize_name(text)
                if key:
                    self.by_name.setdefault(key, set()).add(pk)
            if category == Partner.Category.GOVERNMENT and country_id:
                self.government[country_id] = pk
        self.countries: dict[str, int] = {}
        self.country_names: dict[int, str] = {}
        for pk, iso3, iso2, *names in Country.objects.values_list(
            "pk", "iso3", "iso2", "name_en", "name_fr", "formal_name", "itu_name"
        ):
            self.countries[iso3.lower()] = pk
            self.countries[iso2.lower()] = pk
            self.country_names[pk] = names[0]
            for text in names:
                key = normalize_name(text)
                if key:
                    self.countries.setdefault(key, pk)
        for normalized, country_id in CountryAlias.objects.values_list(
            "normalized", "country_id"
        ):
            self.countries.setdefault(normalized, country_id)
        self._choices = list(self.by_name)
        self._cache: dict[tuple, PartnerMatch] = {}
        self.created: dict[str, Partner] = {}

    def country(self, text: object) -> int | None:
        text = str(text or "").strip()
        if not text:
            return None
        if text.isdigit():
            return (
                Country.objects.filter(m49=int(text))
                .values_list("pk", flat=True)
                .first()
            )
        return self.countries.get(text.lower()) or self.countries.get(
            normalize_name(text)
        )

    def match(
        self,
        *,
        name: str | None = None,
        code: str | None = None,
        country: str | None = None,
        partner_id: object = None,
    ) -> PartnerMatch:
        key = (name, code, country, partner_id)
        if key not in self._cache:
            self._cache[key] = self._match(name, code, country, partner_id)
        return self._cache[key]

    def _match(self, name, code, country, partner_id) -> PartnerMatch:
        if partner_id not in (None, ""):
            try:
                pk = int(str(partner_id).strip())
            except ValueError:
                pk = None
            if pk in self.ids:
                return PartnerMatch(pk, "id")
        for text in (code, name):
            # A donor column may hold a partner code too: "GOV-CHE".
            pk = self.by_code.get(str(text or "").strip().lower())
            if pk:
                return PartnerMatch(pk, "code")
        for text in (code, country, name):
            # ISO codes: "CHE", "CH" in a code, country or donor column.
            text = str(text or "").strip()
            if 2 <= len(text) <= 3 and text.isalpha() and text.isupper():
                country_id = self.countries.get(text.lower())
                if country_id:
                    return self._government(country_id)
        spelling = normalize_name(clean_name(name)) if name else ""
        if spelling:
            if spelling in self.confirmed:
                return PartnerMatch(self.confirmed[spelling], "confirmed")
            found = self.by_name.get(spelling, set())
            if len(found) == 1:
                return PartnerMatch(next(iter(found)), "name")
            if len(found) > 1:
                raise RowError(
                    _("%(name)r matches %(count)d partners; give the partner code.")
                    % {"name": name, "count": len(found)}
                )
            bare = _GOVERNMENT_WORDS.sub("", spelling).strip()
            country_id = self.countries.get(bare) or self.countries.get(spelling)
            if country_id:
                return self._government(country_id)
            best = process.extractOne(
                spelling,
                self._choices,
                scorer=fuzz.token_sort_ratio,
                score_cutoff=FUZZY_CUTOFF,
            )
            if best:
                candidates = self.by_name[best[0]]
                if len(candidates) == 1:
                    pk = next(iter(candidates))
                    return PartnerMatch(
                        None,
                        "suggestion",
                        suggestion=Suggestion(
                            spelling, str(name), pk, self.names[pk], round(best[1], 1)
                        ),
                    )
        if country and not name:
            country_id = self.country(country)
            if country_id:
                return self._government(country_id)
        return PartnerMatch(None, "none")

    def _government(self, country_id: int) -> PartnerMatch:
        pk = self.government.get(country_id)
        if pk:
            return PartnerMatch(pk, "country")
        return PartnerMatch(None, "country", country_id=country_id)

    def resolve(
        self,
        *,
        name: str | None,
        code: str | None = None,
        country: str | None = None,
        partner_id: object = None,
        create: bool = False,
        category: str | None = None,
        batch=None,
    ) -> int | Partner:
        """The partner pk, or a new unsaved Partner shared by rows naming it.

        Raises ``RowError`` when nothing matches and creating is not allowed,
        or when the only match is a suggestion awaiting confirmation.
        """
        found = self.match(name=name, code=code, country=country, partner_id=partner_id)
        if found.partner_id:
            return found.partner_id
        shown = name or code or country or partner_id
        if found.suggestion:
            raise RowError(
                _(
                    "partner %(name)r is not known; did you mean %(suggestion)s "
                    "(%(score)s%% alike)? Confirm the suggestion to use it."
                )
                % {
                    "name": shown,
                    "suggestion": found.suggestion.partner_name,
                    "score": found.suggestion.score,
                },
                suggestion=found.suggestion,
            )
        if not create:
            raise RowError(
                _(
                    "no partner matches %(name)r; add it first or allow creating "
                    "unmatched partners."
                )
                % {"name": shown}
            )
        if not name and not found.country_id:
            raise RowError(_("no partner name to create a partner from."))
        if found.country_id:
            key = f"country:{found.country_id}"
            if key not in self.created:
                self.created[key] = Partner(
                    name=self.country_names[found.country_id],
                    category=Partner.Category.GOVERNMENT,
                    country_id=found.country_id,
                    import_batch=batch,
                )
            return self.created[key]
        key = normalize_name(clean_name(name))
        if key not in self.created:
            partner = Partner(
                name=clean_name(name)[:200],
                category=category or Partner.Category.OTHER,
                code=(str(code).strip() or None) if code else None,
                import_batch=batch,
            )
            if partner.category == Partner.Category.GOVERNMENT:
                partner.category = Partner.Category.OTHER  # no country to tie it to
            partner.full_clean(validate_unique=False, validate_constraints=False)
            self.created[key] = partner
        return self.created[key]

    def save_created(self) -> None:
        """Insert the partners this file created (once, before their rows)."""
        pending = [p for p in self.created.values() if p.pk is None]
        if pending:
            Partner.objects.bulk_create(pending)


PARTNER_COLUMNS = {
    "partner": (
        "partner",
        "partenaire",
        "donor",
        "donateur",
        "donor name",
        "organisation",
        "organization",
        "organisme",
        "bailleur",
        "bailleur de fonds",
        "contributor",
        "contributeur",
        "funder",
        "partner name",
        "nom du partenaire",
    ),
    "partner_code": ("partner code", "donor code", "code partenaire", "code donateur"),
    "partner_id": ("partner id", "crm partner id", "id partenaire"),
    "country": (
        "country",
        "pays",
        "iso3",
        "country code",
        "code pays",
        "donor country",
    ),
}


def partner_ref(importer, values: dict, *, required: bool = True):
    """The partner a row names (pk or new Partner), via the importer's matcher."""
    name = cell(importer, values, "partner")
    code = cell(importer, values, "partner_code")
    country = cell(importer, values, "country")
    partner_id = cell(importer, values, "partner_id")
    if not any((name, code, country, partner_id)):
        if not required:
            return None
        raise RowError(_("no partner given (donor, partner code or country)."))
    return importer.matcher.resolve(
        name=str(name) if name is not None else None,
        code=str(code) if code is not None else None,
        country=str(country) if country is not None else None,
        partner_id=partner_id,
        create=importer.options.create_partners,
        batch=importer.batch if importer.batch and importer.batch.pk else None,
    )


def set_partner(obj, attribute: str, ref) -> None:
    if isinstance(ref, Partner):
        setattr(obj, attribute, ref)
    else:
        setattr(obj, f"{attribute}_id", ref)


@register
class PartnerImporter(ModelImporter):
    name = "partners"
    label = _("Partners")
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

    def _current(self, pk: int) -> dict:
        if not hasattr(self, "_existing"):
            self._existing = {
                row.pop("pk"): row
                for row in visible(Partner, self.user)
                .values("pk", *self.compare)
                .iterator()
            }
        return self._existing[pk]


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


def _lookup(table: dict[str, str], what: str):
    def parse(value: object) -> str:
        found = table.get(normalize_name(str(value)))
        if found is None:
            raise ValueError(_("not a known %(what)s") % {"what": what})
        return found

    return parse


@register
class ContactImporter(ModelImporter):
    """Contacts keyed on e-mail (else on the name), with their affiliation."""

    name = "contacts"
    label = _("Contacts")
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
            title = parsed(self, values, "title", _lookup(CONTACT_TITLE, "title"))
            data["title"] = title or ""
        for field in ("email", "phone", "job_title", "languages"):
            if self.has(field):
                data[field] = str(cell(self, values, field) or "")
        if "email" in data:
            data["email"] = data["email"].lower()
        self._affiliation = None
        partner = partner_ref(self, values, required=False)
        if partner is not None:
            role = parsed(self, values, "role", _lookup(CONTACT_ROLE, "role"))
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
    label = _("Engagements")
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
            kind = parsed(self, values, "kind", _lookup(ENGAGEMENT_KIND, "kind"))
            data["kind"] = kind or Engagement.Kind.MEETING
        for field in ("summary", "outcome"):
            if self.has(field):
                data[field] = str(cell(self, values, field) or "")
        if self.has("confidential"):
            data["confidential"] = bool(
                parsed(self, values, "confidential", parse_bool)
            )
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
