"""Finding the partner a spreadsheet row means, and the choice synonyms.

``PartnerMatcher`` finds the partner a spreadsheet means, in a fixed order:
the CRM's partner id, the partner code, a country code or name (a Member
State's government partner), the normalised name and its aliases; a close
spelling (rapidfuzz) is only a suggestion for the user to confirm.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from crm.imports.engine import (
    RowError,
    Suggestion,
    cell,
)
from crm.lib.names import government_country, normalize_name
from crm.lib.parse import clean_name, parse_code
from crm.models import Country, CountryAlias
from partners.models import Partner, PartnerAlias

FUZZY_CUTOFF = 85
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
        # Aliases (merged duplicates' names, spellings confirmed in earlier
        # imports) match after the partners' own names: "matched by alias".
        self.by_alias: dict[str, set[int]] = {}
        for key, pk in PartnerAlias.objects.name_keys():
            self.by_alias.setdefault(key, set()).add(pk)
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
        # The last row's match, for the preview; spellings confirmed and used.
        self.last: PartnerMatch | None = None
        self.used_confirmed: dict[str, tuple[int, str]] = {}

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
        found = self._cache[key]
        if found.via == "confirmed":
            spelling = normalize_name(clean_name(name))
            self.used_confirmed.setdefault(
                spelling, (found.partner_id, clean_name(name))
            )
        self.last = found
        return found

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
                    return self._government(country_id, via="iso")
        spelling = normalize_name(clean_name(name)) if name else ""
        if spelling:
            if spelling in self.confirmed:
                return PartnerMatch(self.confirmed[spelling], "confirmed")
            found = self.by_name.get(spelling, set())
            via = "name"
            if not found and spelling in self.by_alias:
                found, via = self.by_alias[spelling], "alias"
            if len(found) == 1:
                return PartnerMatch(next(iter(found)), via)
            if len(found) > 1:
                raise RowError(
                    _("%(name)r matches %(count)d partners; give the partner code.")
                    % {"name": name, "count": len(found)}
                )
            country_id = self.countries.get(spelling) or self.government_of(name)
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

    def government_of(self, name: str) -> int | None:
        """The country of a government named in any form, or None.

        "Korea, Republic of, Government of", "Gouvernement de la Suisse" and
        "Ministry of Foreign Affairs of Norway" name their Member State; a
        name that only mentions a country ("UNICEF National Committee/Germany")
        does not.
        """
        country = government_country(clean_name(name))
        if not country:
            return None
        return self.countries.get(normalize_name(country))

    def _government(self, country_id: int, via: str = "country") -> PartnerMatch:
        pk = self.government.get(country_id)
        if pk:
            return PartnerMatch(pk, via)
        return PartnerMatch(None, via, country_id=country_id)

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

    def remember_confirmed(self, *, user=None, batch=None) -> None:
        """Keep each confirmed spelling the written rows used as an alias.

        The next file that writes it matches the partner directly ("matched
        by alias"), without asking again.
        """
        from partners.services import partner_alias_add

        for pk, text in self.used_confirmed.values():
            partner_alias_add(
                partner_id=pk,
                name=text,
                source=PartnerAlias.Source.IMPORT,
                user=user,
                batch=batch if batch is not None and batch.pk else None,
            )

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


def choice_parser(table: dict[str, str], what: str):
    def parse(value: object) -> str:
        found = table.get(normalize_name(str(value)))
        if found is None:
            raise ValueError(_("not a known %(what)s") % {"what": what})
        return found

    return parse
