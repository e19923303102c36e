"""The partner search's ranking, as a table of what people type.

The same table runs on SQLite and, in the PostgreSQL run, on PostgreSQL:
both databases give the same first results.
"""

from __future__ import annotations

import pytest
from django.db import connection

from crm.management.commands.seed_reference import (
    read_csv,
    seed_aliases,
    seed_countries,
    seed_governments,
)
from partners.models import Partner, PartnerAlias
from partners.search import _close_names, closeness
from tests.factories import AffiliationFactory, ContactFactory, PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """The Member States' government partners (GOV-<ISO3>) and a few others."""
    rows = read_csv("countries.csv")
    seed_countries(rows=rows, reset=False)
    seed_aliases(rows=rows)
    seed_governments(reset=False)
    states = {p.code: p for p in Partner.objects.filter(code__startswith="GOV-")}

    def company(name, iso3, **values):
        country = states[f"GOV-{iso3}"].country
        values.setdefault("category", "private_sector")
        return PartnerFactory(name=name, country=country, **values)

    others = {
        "kt": company("Korea Telecom", "KOR", short_name="KT"),
        "samsung": company("Samsung Electronics (South Korea)", "KOR"),
        "giz": company(
            "Deutsche Gesellschaft für Internationale Zusammenarbeit",
            "DEU",
            short_name="GIZ",
            category="government_agency",
        ),
        "jica": company(
            "Japan International Cooperation Agency", "JPN", short_name="JICA"
        ),
        "macra": company(
            "Malawi Communications Regulatory Authority", "MWI", short_name="MACRA"
        ),
        "ukspace": company("UK Space Agency", "GBR"),
        "swisscom": company("Swisscom", "CHE"),
        "kfw": company("KfW Development Bank", "DEU", short_name="KfW"),
        "usaid": company(
            "United States Agency for International Development",
            "USA",
            short_name="USAID",
        ),
    }
    PartnerAlias.objects.create(partner=others["kfw"], name="KfW Entwicklungsbank")
    AffiliationFactory(
        partner=states["GOV-JPN"],
        contact=ContactFactory(email="ambassador@mission-jpn.example"),
    )
    return {**states, **others}


# (what is typed, the partner found first, partners that must not be found).
# A country's ISO code finds its other partners too, after its government.
CASES = [
    ("South Korea", "GOV-KOR", []),
    ("south korea", "GOV-KOR", []),
    ("Republic of Korea", "GOV-KOR", []),
    # Two Member States: both first, in name order.
    ("Korea", ("GOV-PRK", "GOV-KOR"), []),
    ("Corée", ("GOV-PRK", "GOV-KOR"), []),
    ("Corée du Sud", "GOV-KOR", []),
    ("KOR", "GOV-KOR", []),
    ("ROK", "GOV-KOR", []),
    ("gov-kor", "GOV-KOR", []),
    ("USA", "GOV-USA", ["giz"]),
    ("United States", "GOV-USA", []),
    ("UK", "GOV-GBR", ["GOV-JPN", "GOV-MWI", "macra", "GOV-UKR"]),
    ("Swiss", "GOV-CHE", []),
    ("Switzerland", "GOV-CHE", []),
    ("Suisse", "GOV-CHE", []),
    ("Germany", "GOV-DEU", []),
    ("Germny", "GOV-DEU", []),
    ("Grmany", "GOV-DEU", []),
    ("Allemagne", "GOV-DEU", []),
    ("Deutschland", "GOV-DEU", []),
    ("Japan", "GOV-JPN", []),
    ("Japon", "GOV-JPN", []),
    ("JPN", "GOV-JPN", []),
    ("Permanent Mission of Japan", "GOV-JPN", ["jica"]),
    ("Mission permanente du Japon", "GOV-JPN", ["jica"]),
    ("Mission permanente de la France", "GOV-FRA", []),
    ("Government of the Republic of Korea", "GOV-KOR", ["kt"]),
    ("Korea, Republic of, Government of", "GOV-KOR", ["kt"]),
    ("Gouvernement de la Suisse", "GOV-CHE", ["swisscom"]),
    ("GIZ", "giz", []),
    ("giz", "giz", []),
    ("Zusammenarbeit", "giz", []),
    ("Deutsche Gesellschaft", "giz", []),
    ("JICA", "jica", []),
    ("Japan International", "jica", []),
    ("Japan Cooperation", "jica", []),
    ("Korea Telecom", "kt", []),
    ("KT", "kt", []),
    ("Korea Telecmo", "kt", []),
    ("Samsung", "samsung", []),
    ("Swisscom", "swisscom", []),
    ("KfW", "kfw", []),
    ("KfW Entwicklungsbank", "kfw", []),
    ("USAID", "usaid", []),
    ("ambassador@mission-jpn.example", "GOV-JPN", []),
    ("mission-jpn", "GOV-JPN", []),
    ("UK Space", "ukspace", []),
]


def test_the_partner_search_ranks_the_table_of_cases(world):
    wrong = []
    for term, first, absent in CASES:
        found = list(Partner.objects.search(term)[:20])
        expected = [
            world[key] for key in ([first] if isinstance(first, str) else first)
        ]
        if found[: len(expected)] != expected:
            wrong.append(f"{term!r}: {found[:3]} first, not {expected}")
        for key in absent:
            if world[key] in found:
                wrong.append(f"{term!r} finds {world[key]}")

    assert "\n".join(wrong) == ""


def test_a_name_one_or_two_letters_off_is_close_and_another_word_is_not():
    assert closeness("Germny", "Federal Republic of Germany") >= 80
    assert closeness("Grmany", "Germany") >= 80
    assert closeness("Telecom JPN", "Telecom Operator") < 80
    assert closeness("Gabon", "Germany") < 80


def test_typos_are_looked_for_only_when_nothing_else_matches(world):
    assert Partner.objects.search("Germany").first() == world["GOV-DEU"]
    assert list(Partner.objects.search("Samsnug Electronics")) == [world["samsung"]]


@pytest.mark.postgresql
def test_postgresql_proposes_names_a_letter_off_through_the_trigram_indexes(world):
    assert connection.vendor == "postgresql"

    assert _close_names("Korea Telecmo") == [world["kt"].pk]
    assert _close_names("Japan Internatonal Cooperation") == [world["jica"].pk]
