"""Partners, contacts, engagements, payments and exchange rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from crm.models import ExchangeRate
from partners.models import Affiliation, Contact, Engagement, Partner
from pledges import services
from pledges.models import Payment
from tests.factories import PledgeFactory
from tests.imports.conftest import DATA, do_import


def test_partners_are_created_matched_and_updated(world):
    text = (
        "Organisation,Code,Catégorie,Site web\n"
        "Fondation Lumière,FLUM,60 - Foundation,https://lumiere.example.org\n"
        "Acme Telecom,,70 - Private Sector,https://acme.example.com\n"
    )
    result = do_import("partners", text)
    assert result.counts == {
        "new": 1,
        "update": 1,
        "unchanged": 0,
        "skipped": 0,
        "error": 0,
    }, [r.message for r in result.rows]
    lumiere = Partner.objects.get(code="FLUM")
    assert lumiere.category == "foundation"
    assert Partner.objects.get(code="ACME").website == "https://acme.example.com"
    again = do_import("partners", text)
    assert again.counts["unchanged"] == 2


def test_contacts_with_their_affiliations_and_repaired_names(world):
    data = (DATA / "imports_contacts_mojibake.csv").read_bytes()
    result = do_import("contacts", data, filename="contacts.csv")
    assert result.written, [r.message for r in result.rows]
    yao = Contact.objects.get(email="yao@example.ci")
    assert yao.title == "H.E."
    affiliation = yao.affiliations.get()
    assert affiliation.partner == world["gov"]["CIV"]
    assert affiliation.role == "ambassador"
    assert affiliation.start_date == dt.date(2023, 9, 1)
    assert Affiliation.objects.get(contact__last_name="Muller").partner == world["acme"]
    again = do_import("contacts", data, filename="contacts.csv")
    assert again.counts["unchanged"] == 3, [r.message for r in again.rows]
    assert Affiliation.objects.count() == 3


def test_engagements_with_several_partners(world, superuser):
    text = (
        "Date,Type,Objet,Partenaires,Résumé\n"
        "12.03.2024,Meeting,Side event at WSIS,Luxembourg; ACME,Agreed a follow-up\n"
    )
    result = do_import("engagements", text)
    assert result.written, [r.message for r in result.rows]
    engagement = Engagement.objects.get()
    assert set(engagement.partners.all()) == {world["gov"]["LUX"], world["acme"]}
    assert engagement.date == dt.date(2024, 3, 12)
    assert do_import("engagements", text).counts["unchanged"] == 1


def test_exchange_rates_tsv(world):
    data = (DATA / "imports_exchange_rates.tsv").read_bytes()
    result = do_import("exchange_rates", data, filename="rates.tsv")
    assert result.written, [r.message for r in result.rows]
    assert ExchangeRate.objects.get(
        currency="EUR", effective_date=dt.date(2024, 6, 1)
    ).units_per_usd == Decimal("0.92")
    again = do_import("exchange_rates", data, filename="rates.tsv")
    assert again.counts["unchanged"] == 3
    changed = data.replace(b"0.92", b"0.93")
    assert do_import("exchange_rates", changed, filename="r.tsv").counts["update"] == 1


def test_an_unknown_currency_rate_is_a_row_error(world):
    result = do_import(
        "exchange_rates", "Currency,Effective date,Rate\nXYZ,2024-01-01,2\n"
    )
    assert "XYZ" in result.rows[0].message
    assert not result.written


def test_payments_go_through_the_service_and_fulfil_the_pledge(world):
    pledge = PledgeFactory(
        partner=world["acme"],
        lever=world["lever"],
        external_id="AC-9",
        amount=Decimal("1000"),
        currency="CHF",
    )
    text = (
        "Pledge reference,Payment date,Amount,Payment reference\n"
        "AC-9,01.06.2024,600,BANK-1\n"
        "AC-9,01.07.2024,400,BANK-2\n"
    )
    result = do_import("payments", text)
    assert result.written, [r.message for r in result.rows]
    pledge.refresh_from_db()
    assert pledge.stage == "fulfilled"
    assert Payment.objects.filter(import_batch__isnull=True).count() == 2
    assert do_import("payments", text).counts["unchanged"] == 2


def test_a_refund_larger_than_received_is_refused(world):
    pledge = PledgeFactory(
        partner=world["acme"], lever=world["lever"], external_id="AC-8"
    )
    services.pledge_record_payment(
        pledge=pledge, amount=Decimal("100"), received_on=dt.date(2025, 4, 1)
    )
    text = "Pledge,Date,Amount\nAC-8,2025-05-01,(500)\n"
    result = do_import("payments", text)
    assert result.rows[0].outcome == "error"
    assert "refund" in result.rows[0].message
    assert Payment.objects.count() == 1
