"""One government, one partner: every phrasing of a government's name lands on it.

Donor columns of public funding data write governments as "Korea, Republic
of, Government of" or "Saudi Arabia (Kingdom of), Government of"; French
donors as "Gouvernement de la Suisse"; some as "Ministry of Foreign Affairs of
Norway". Each of them, over every country spelling the CRM ships, must find
the Member State's government partner, and never create a second one.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from crm.lib.names import government_country, normalize_name
from crm.models import Country, CountryAlias
from partners.importers.matching import PartnerMatcher
from partners.models import Partner

# Every way a donor column was seen to name a government; {x} is a country
# spelling exactly as the alias table or the country list writes it.
PHRASINGS = [
    "Government of {x}",
    "The Government of {x}",
    "Government of the {x}",
    "Federal Government of {x}",
    "{x}, Government of",
    "{x} , Government of",
    "{x} (Government of)",
    "{x}, Government",
    "{x} Government",
    "{x} (Government)",
    "GOVERNMENT OF {x}",
    "Gouvernement de {x}",
    "Gouvernement du {x}",
    "Gouvernement de la {x}",
    "Gouvernement de l'{x}",
    "Gouvernement d'{x}",
    "Gouvernement des {x}",
    "Le Gouvernement de {x}",
    "{x}, Gouvernement de",
    "{x} (Gouvernement)",
    "Ministry of Foreign Affairs of {x}",
    "Ministry of Foreign Affairs and Trade of {x}",
    "{x}, Ministry of Foreign Affairs",
    "Ministère des affaires étrangères de {x}",
    "Ministère des Affaires étrangères et du Développement de {x}",
]

# Names that mention a country but are not its government.
NOT_GOVERNMENTS = [
    "UNICEF National Committee/Germany",
    "Deutsche Gesellschaft für Internationale Zusammenarbeit",
    "German Agency for International Cooperation",
    "Government of Flanders",
    "Local Government Association",
    "Japan International Cooperation Agency",
    "Korea Telecom",
    "Norwegian Refugee Council",
    "Friends of Switzerland, Inc.",
    "Swiss Red Cross",
    "Germany Trade and Invest",
]


@pytest.fixture(scope="module")
def reference(django_db_setup, django_db_blocker):
    """Every country and alias the CRM ships, and a government partner for each.

    Built once for the module and rolled back at its end.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_reference", stdout=io.StringIO())
        countries = list(Country.objects.all())
        Partner.objects.bulk_create(
            Partner(
                name=f"Government {country.iso3}",
                category=Partner.Category.GOVERNMENT,
                country=country,
            )
            for country in countries
            if not Partner.objects.filter(country=country).exists()
        )
        governments = dict(
            Partner.objects.filter(category=Partner.Category.GOVERNMENT).values_list(
                "country_id", "pk"
            )
        )
        spellings = {
            name
            for country in countries
            for name in (
                country.name_en,
                country.name_fr,
                country.itu_name,
                country.formal_name,
            )
            if name
        }
        spellings |= set(CountryAlias.objects.values_list("name", flat=True))
        yield {"governments": governments, "spellings": sorted(spellings)}
        transaction.set_rollback(True)


def test_every_phrasing_of_every_country_spelling_finds_the_government(reference, db):
    matcher = PartnerMatcher()
    governments = reference["governments"]
    checked = 0
    wrong = []
    for spelling in reference["spellings"]:
        country_id = matcher.countries.get(normalize_name(spelling))
        if country_id is None:
            continue  # a spelling two countries share is no country at all
        expected = governments[country_id]
        for phrasing in PHRASINGS:
            text = phrasing.format(x=spelling)
            found = matcher.match(name=text)
            checked += 1
            if found.partner_id != expected:
                wrong.append((text, found.via, found.partner_id, expected))
    assert not wrong, f"{len(wrong)} of {checked} phrasings missed: {wrong[:20]}"
    # The whole table took part: about 550 spellings in 25 phrasings.
    assert checked > 10_000


def test_names_that_only_mention_a_country_are_not_its_government(reference, db):
    matcher = PartnerMatcher()
    for name in NOT_GOVERNMENTS:
        found = matcher.match(name=name)
        assert found.via in {"none", "suggestion"}, (name, found)
        if found.suggestion:
            assert "Government" not in found.suggestion.partner_name, (name, found)


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("Korea, Republic of, Government of", "Korea, Republic of"),
        ("Saudi Arabia (Kingdom of), Government of", "Saudi Arabia (Kingdom of)"),
        ("Government of the Republic of Korea", "Republic of Korea"),
        ("Gouvernement de la Suisse", "Suisse"),
        ("Gouvernement d’Allemagne", "Allemagne"),
        ("Suisse, Gouvernement de la", "Suisse"),
        ("Ministry of Foreign Affairs of Norway", "Norway"),
        ("Norway, Ministry of Foreign Affairs", "Norway"),
        ("  Japan   Government ", "Japan"),
        ("Germany", None),
        ("UNICEF National Committee/Germany", None),
        ("", None),
        (None, None),
    ],
)
def test_the_country_part_of_a_government_name(text, country):
    assert government_country(text) == country
