from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pledges.models import Payment, Pledge
from tests.imports.conftest import DATA, do_import


def test_fts_flows_become_pledges_and_payments(world):
    data = (DATA / "imports_fts_flows.csv").read_bytes()
    result = do_import("fts", data, filename="fts.csv")
    assert result.written, [r.message for r in result.rows]
    pledge = Pledge.objects.get(external_source="fts", external_id="301001")
    assert pledge.partner == world["gov"]["LUX"]
    assert pledge.stage == "pledged"
    assert (pledge.amount, pledge.currency) == (Decimal("900000"), "CHF")
    assert pledge.pledged_on == dt.date(2024, 3, 15)
    assert pledge.title == "Connectivity for schools"
    committed = Pledge.objects.get(external_id="301002")
    assert committed.stage == "agreement_signed"
    assert committed.currency == "USD"  # originalCurrency empty
    assert committed.amount == Decimal("500000")
    assert committed.agreement_signed_on == dt.date(2024, 4, 1)
    paid = Pledge.objects.get(external_id="301003")
    assert paid.kind == "in_kind"
    assert paid.partner == world["gov"]["DEU"]
    assert (paid.amount, paid.currency) == (Decimal("160000"), "EUR")
    payment = Payment.objects.get(external_source="fts", external_id="301003")
    assert payment.pledge == paid
    assert payment.amount == Decimal("160000")
    paid.refresh_from_db()
    assert paid.stage == "fulfilled"


def test_reimporting_fts_changes_nothing(world):
    data = (DATA / "imports_fts_flows.csv").read_bytes()
    do_import("fts", data, filename="fts.csv")
    result = do_import("fts", data, filename="fts.csv")
    assert result.counts["unchanged"] == 3, [r.message for r in result.rows]
    assert Payment.objects.count() == 1


def test_a_commitment_later_paid_records_the_payment(world):
    data = (DATA / "imports_fts_flows.csv").read_text()
    do_import("fts", data, filename="fts.csv")
    later = data.replace('"commitment"', '"paid"')
    result = do_import("fts", later, filename="fts.csv")
    assert result.counts["update"] == 1, [r.message for r in result.rows]
    assert Payment.objects.filter(external_id="301002").exists()
    assert Pledge.objects.get(external_id="301002").stage == "fulfilled"
