"""Government names in a funding export: inverted forms land on the Member State."""

from __future__ import annotations

from partners.models import Partner
from pledges.models import Pledge
from tests.factories import CountryFactory
from tests.imports.conftest import do_import

FTS_HEADER = (
    "date,amountUSD,srcOrganization,srcOrganizationTypes,status,"
    "originalAmount,originalCurrency,exchangeRate,id,description\n"
)


def test_inverted_government_names_in_a_funding_export_land_on_member_states(world):
    korea = world["gov"]["KOR"]
    content = FTS_HEADER + (
        '2024-03-15,1000,"Korea, Republic of, Government of",Government,pledge,'
        "1000,USD,1,9001,Schools\n"
        '2024-03-16,2000,"Korea (Rep. of) (Government of)",Government,pledge,'
        "2000,USD,1,9002,Clinics\n"
        '2024-03-17,3000,"Gouvernement de la République de Corée",Government,'
        "pledge,3000,USD,1,9003,Radios\n"
    )
    before = Partner.objects.count()
    result = do_import("fts", content, filename="fts.csv", create_partners=True)
    assert result.written, [r.message for r in result.rows]
    assert Partner.objects.count() == before
    assert set(
        Pledge.objects.filter(external_id__in=["9001", "9002", "9003"]).values_list(
            "partner", flat=True
        )
    ) == {korea.pk}


def test_a_government_without_a_partner_is_created_once_under_the_country_s_name(
    world,
):
    saudi = CountryFactory(
        iso3="SAU",
        iso2="SA",
        m49=682,
        name_en="Saudi Arabia",
        name_fr="Arabie saoudite",
        itu_name="Saudi Arabia (Kingdom of)",
    )
    content = FTS_HEADER + (
        '2024-03-15,1000,"Saudi Arabia (Kingdom of), Government of",Government,'
        "pledge,1000,USD,1,9101,Schools\n"
        '2024-03-16,2000,"Government of Saudi Arabia",Government,pledge,'
        "2000,USD,1,9102,Clinics\n"
    )
    result = do_import("fts", content, filename="fts.csv", create_partners=True)
    assert result.written, [r.message for r in result.rows]
    created = Partner.objects.filter(country=saudi)
    assert [(p.name, p.category) for p in created] == [
        ("Saudi Arabia", Partner.Category.GOVERNMENT)
    ]
    before = {p.pk for p in world["gov"].values()}
    assert not Partner.objects.filter(name__icontains="government").exclude(
        pk__in=before
    )
    assert Pledge.objects.filter(partner=created[0]).count() == 2
