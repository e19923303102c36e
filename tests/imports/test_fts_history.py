"""An FTS export of 2016-2021 flows, imported with the shipped reference data."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction

from crm.imports.engine import ImportOptions, run_import
from crm.imports.registry import get_importer
from crm.lib.money import quantize
from crm.models import ExchangeRate
from partners.models import Partner
from pledges.models import Payment, Pledge
from tests.factories import LeverFactory, UserFactory

HEADER = (
    "date",
    "budgetYear",
    "description",
    "amountUSD",
    "srcOrganization",
    "srcOrganizationTypes",
    "srcLocations",
    "destOrganization",
    "contributionType",
    "flowType",
    "status",
    "decisionDate",
    "originalAmount",
    "originalCurrency",
    "exchangeRate",
    "id",
)

# (donor, types, location, currency, units per USD as FTS gives it)
DONORS = [
    ("Government of Norway", "Government", "Norway", "NOK", "8.4"),
    ("Norway", "Government", "Norway", "NOK", "8.6"),
    ("Government of Switzerland", "Government", "Switzerland", "CHF", "0.98"),
    ("Germany", "Government", "Germany", "EUR", "0.88"),
    ("Government of France", "Government", "France", "EUR", "0.89"),
    ("United Arab Emirates", "Government", "United Arab Emirates", "AED", "3.6725"),
    ("Government of Kuwait", "Government", "Kuwait", "KWD", "0.302"),
    ("Norwegian Refugee Council", "NGO", "Norway", "NOK", "8.5"),
    ("Central Emergency Response Fund", "Pooled fund", "", "USD", "1"),
    ("Stichting Vrienden", "Private organization/foundation", "Netherlands", "EUR", ""),
    # The inverted forms of FTS and IATI donor columns.
    ("Norway, Government of", "Government", "Norway", "NOK", "8.3"),
    (
        "Korea, Republic of, Government of",
        "Government",
        "Korea, Republic of",
        "EUR",
        "",
    ),
]
STATUSES = ("pledge", "commitment", "paid")


def fts_rows() -> list[dict[str, str]]:
    """Six years x ten donors, plus the placeholders FTS exports carry."""
    rows = []
    flow = 170000
    for year in range(2016, 2022):
        for number, (donor, kind, place, currency, rate) in enumerate(DONORS):
            flow += 1
            amount = Decimal(100000 + 5000 * number + 1000 * (year - 2016))
            usd = quantize(amount / Decimal(rate or "0.9"))
            rows.append(
                {
                    "date": f"{year}-{number % 12 + 1:02d}-15T00:00:00Z",
                    "budgetYear": str(year),
                    "description": f"{donor} {year} humanitarian flow",
                    "amountUSD": str(usd),
                    "srcOrganization": donor,
                    "srcOrganizationTypes": kind,
                    "srcLocations": place,
                    "destOrganization": "International Telecommunication Union",
                    "contributionType": "financial",
                    "flowType": "Standard",
                    "status": STATUSES[(number + year) % 3],
                    "decisionDate": "",
                    "originalAmount": str(amount),
                    "originalCurrency": currency,
                    "exchangeRate": rate,
                    "id": str(flow),
                }
            )
    placeholders = [
        ("0", "0", "pledge"),  # a zero commitment
        ("", "0", "commitment"),  # nothing in either column
        ("0", "0", "paid"),
    ]
    for original, usd, status in placeholders:
        flow += 1
        rows.append(
            dict(
                rows[0],
                id=str(flow),
                originalAmount=original,
                amountUSD=usd,
                status=status,
                description="Placeholder",
            )
        )
    # originalAmount 0 but a USD amount: the USD amount stands in.
    rows.append(
        dict(
            rows[3],
            id=str(flow + 1),
            originalAmount="0",
            amountUSD="250000",
            status="pledge",
            description="USD amount only",
        )
    )
    return rows


def as_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def fts_import(data: bytes, user, **options):
    return run_import(
        get_importer("fts"),
        data,
        filename="fts_2016_2021.csv",
        options=ImportOptions(create_partners=True, **options),
        user=user,
    )


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The shipped reference data, seeded once; each test runs in a savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_reference", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def reference(seeded, db):
    LeverFactory(code="humanitarian", name="Humanitarian contributions")
    return UserFactory(username="treasurer", is_staff=True)


def test_an_fts_export_of_2016_2021_imports_with_the_shipped_rates(reference):
    rows = fts_rows()
    data = as_csv(rows)
    result = fts_import(data, reference)
    messages = [r.message for r in result.rows if r.outcome == "error"]
    assert result.written, messages
    assert result.counts["error"] == 0
    assert result.counts["skipped"] == 3
    skipped = [r for r in result.rows if r.outcome == "skipped"]
    assert {r.message for r in skipped} == {"skipped: amount is zero"}
    assert result.counts["new"] == len(rows) - 3

    # Every government row on its Member State's government partner.
    for donor, iso3 in [
        ("Government of Norway", "NOR"),
        ("Norway", "NOR"),
        ("Government of Switzerland", "CHE"),
        ("Germany", "DEU"),
        ("Government of France", "FRA"),
        ("United Arab Emirates", "ARE"),
        ("Government of Kuwait", "KWT"),
        ("Norway, Government of", "NOR"),
        ("Korea, Republic of, Government of", "KOR"),
    ]:
        pledges = Pledge.objects.filter(title__startswith=f"{donor} 20")
        assert pledges.count() == 6, donor
        assert set(pledges.values_list("partner__code", flat=True)) == {
            f"GOV-{iso3}"
        }, donor
    assert not Partner.objects.filter(name__icontains="government").exclude(
        code__startswith="GOV-"
    )

    # Rates: the table where it has one (ECB history, AED peg), else the file's.
    eur = Pledge.objects.get(title="Germany 2017 humanitarian flow")
    assert eur.rate_source.startswith("EUR: ECB reference")
    on = eur.rate_date
    table = {
        code: ExchangeRate.objects.filter(currency=code, effective_date__lte=on)
        .order_by("-effective_date")
        .first()
        .units_per_usd
        for code in ("EUR", "CHF")
    }
    assert eur.amount_chf == quantize(eur.amount * table["CHF"] / table["EUR"])
    aed = Pledge.objects.get(title="United Arab Emirates 2018 humanitarian flow")
    assert "AED: Fixed peg to USD" in aed.rate_source
    kwd = Pledge.objects.get(title="Government of Kuwait 2019 humanitarian flow")
    assert kwd.rate_source.startswith("KWD: file: FTS exchangeRate")
    chf_per_usd = (
        ExchangeRate.objects.filter(currency="CHF", effective_date__lte=kwd.rate_date)
        .order_by("-effective_date")
        .first()
        .units_per_usd
    )
    assert kwd.amount_chf == quantize(kwd.amount / Decimal("0.302") * chf_per_usd)
    kwd_paid = Payment.objects.filter(currency="KWD")
    assert kwd_paid.exists()
    assert all("file: FTS exchangeRate" in p.rate_source for p in kwd_paid)

    # The USD amount stands in when the original amount is zero.
    standin = Pledge.objects.get(external_id=rows[-1]["id"])
    assert (standin.amount, standin.currency) == (Decimal("250000.00"), "USD")

    # A second import of the same file: already up to date.
    again = fts_import(data, reference)
    assert again.counts["new"] == 0
    assert again.counts["update"] == 0
    assert again.counts["unchanged"] == len(rows) - 3
    assert again.counts["skipped"] == 3


def test_donors_created_from_fts_get_kind_country_and_owner(reference):
    fts_import(as_csv(fts_rows()), reference)
    ngo = Partner.objects.get(name="Norwegian Refugee Council")
    assert ngo.category == Partner.Category.CIVIL_SOCIETY
    assert ngo.country.iso3 == "NOR"
    assert ngo.owner == reference
    fund = Partner.objects.get(name="Central Emergency Response Fund")
    assert fund.category == Partner.Category.UN_ENTITY
    assert fund.country is None  # srcLocations is empty
    foundation = Partner.objects.get(name="Stichting Vrienden")
    assert foundation.category == Partner.Category.FOUNDATION
    assert foundation.country.iso3 == "NLD"


def test_a_flow_without_any_rate_is_refused_with_currency_and_date(reference):
    rows = [dict(fts_rows()[6], exchangeRate="", amountUSD="")]  # KWD, 2016
    result = fts_import(as_csv(rows), reference)
    assert not result.written
    [row] = result.rows
    assert row.outcome == "error"
    assert "No exchange rate for KWD on or before 2016-07-15" in row.message
    assert not Pledge.objects.exists()


def test_without_exchange_rate_the_ratio_to_amount_usd_serves(reference):
    rows = [dict(fts_rows()[6], exchangeRate="")]
    result = fts_import(as_csv(rows), reference)
    assert result.written, [r.message for r in result.rows]
    pledge = Pledge.objects.get()
    assert pledge.rate_source.startswith("KWD: file: FTS amountUSD")


def test_duplicated_flow_ids_in_one_file_stay_reported(reference):
    rows = fts_rows()[:2]
    rows[1]["id"] = rows[0]["id"]
    result = fts_import(as_csv(rows), reference)
    assert not result.written
    assert result.rows[1].outcome == "error"
    assert "same record as row 2" in result.rows[1].message


def test_the_pledge_and_payment_pages_say_where_the_rate_came_from(
    reference, admin_client
):
    rows = [r for r in fts_rows() if r["originalCurrency"] == "KWD"][:3]
    result = fts_import(as_csv(rows), reference)
    assert result.written, [r.message for r in result.rows]
    pledge = Pledge.objects.get(external_id=rows[0]["id"])
    page = admin_client.get(pledge.get_absolute_url()).content.decode()
    assert "Source: KWD: file: FTS exchangeRate; CHF: ECB reference" in page
    payment = Payment.objects.get()
    page = admin_client.get(
        f"/admin/pledges/payment/{payment.pk}/change/"
    ).content.decode()
    assert "KWD: file: FTS exchangeRate" in page
