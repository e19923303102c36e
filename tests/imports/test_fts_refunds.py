"""Negative OCHA FTS flows: refunds of paid flows, pledges reduced or withdrawn.

Rates: the world's (1 USD = 0.90 CHF = 0.80 EUR from 2024-01-01) and, from
2024-07-01, 1 USD = 0.85 CHF = 0.75 EUR. The sample's flows:

401001  Germany     paid        EUR  200,000   2024-03-01
401002  Germany     paid        EUR  -50,000   2024-09-16  (refund)
401003  Luxembourg  commitment  CHF  300,000   2024-04-02
401004  Luxembourg  commitment  CHF -100,000   2024-10-01  (reduction)
401005  Korea       paid        USD   80,000   2024-05-10  (amountUSD only)
401006  Korea       paid        USD  -80,000   2024-11-05  (refund of it all)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from crm.imports.engine import ImportOptions, run_import
from crm.imports.registry import get_importer
from crm.models import ImportBatch
from pledges import services
from pledges.models import Payment, Pledge, PledgeReduction
from tests.factories import ExchangeRateFactory
from tests.imports.conftest import DATA, do_import


@pytest.fixture
def rates(world):
    for currency, units in {"CHF": "0.85", "EUR": "0.75"}.items():
        ExchangeRateFactory(
            currency=currency,
            effective_date=dt.date(2024, 7, 1),
            units_per_usd=Decimal(units),
        )
    return world


def sample() -> dict[str, dict]:
    text = (DATA / "imports_fts_refunds.csv").read_text()
    return {row["id"]: row for row in csv.DictReader(io.StringIO(text))}


def fts(*rows: dict) -> str:
    """An FTS export of ``rows``, in that order, with the columns they use."""
    columns = list(dict.fromkeys(name for row in rows for name in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, restval="", quoting=csv.QUOTE_ALL)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def flows(*ids: str) -> str:
    rows = sample()
    return fts(*(rows[flow] for flow in ids))


def pledge(flow: str) -> Pledge:
    return Pledge.objects.get(external_source="fts", external_id=flow)


def test_a_refund_lowers_what_the_pledge_received_and_reopens_it(rates):
    first = do_import("fts", flows("401001"), filename="fts.csv")
    assert first.written, [r.message for r in first.rows]
    assert pledge("401001").stage == "fulfilled"

    result = do_import("fts", flows("401002"), filename="fts.csv")

    assert result.written, [r.message for r in result.rows]
    assert result.counts["new"] == 1
    assert "refund on the pledge of flow 401001" in result.rows[0].message
    refund = Payment.objects.get(external_source="fts", external_id="401002")
    germany = pledge("401001")
    assert refund.pledge == germany
    assert (refund.amount, refund.currency) == (Decimal("-50000.00"), "EUR")
    assert refund.received_on == dt.date(2024, 9, 16)
    assert refund.amount_in_pledge_currency == Decimal("-50000.00")
    # CHF at the refund's date: 50,000 x 0.85 / 0.75 = 56,666.67.
    assert refund.amount_chf == Decimal("-56666.67")
    assert germany.received_total() == Decimal("150000.00")
    # 150,000 of 200,000 received: no longer fulfilled, back to pledged.
    assert germany.stage == "pledged"
    assert germany.amount == Decimal("200000.00")
    assert Pledge.objects.count() == 1  # a refund is no pledge of its own


def test_refunds_and_reductions_after_their_flows_in_one_file(rates):
    data = (DATA / "imports_fts_refunds.csv").read_bytes()

    result = do_import("fts", data, filename="fts.csv")

    assert result.written, [r.message for r in result.rows]
    assert result.counts["new"] == 6
    assert pledge("401001").received_total() == Decimal("150000.00")
    assert pledge("401001").stage == "pledged"
    korea = pledge("401005")
    assert korea.received_total() == Decimal("0.00")
    assert korea.stage == "pledged"
    refund = Payment.objects.get(external_id="401006")
    assert (refund.amount, refund.currency) == (Decimal("-80000.00"), "USD")
    assert refund.amount_chf == Decimal("-68000.00")  # 80,000 x 0.85
    luxembourg = pledge("401003")
    assert luxembourg.amount == Decimal("200000.00")
    assert luxembourg.amount_chf == Decimal("200000.00")
    assert luxembourg.stage == "agreement_signed"
    (reduction,) = luxembourg.reductions.all()
    assert (reduction.external_source, reduction.external_id) == ("fts", "401004")
    assert (reduction.amount, reduction.reduced_on) == (
        Decimal("100000.00"),
        dt.date(2024, 10, 1),
    )
    assert reduction.reason == "Reduced in OCHA FTS on 2024-10-01."
    assert not reduction.withdraws
    assert luxembourg.pledged_before_reductions() == Decimal("300000.00")
    assert luxembourg.notes == ""
    assert Pledge.objects.count() == 3
    assert Payment.objects.count() == 4


def test_refunds_and_reductions_before_their_flows_in_the_file(rates):
    data = flows("401006", "401002", "401004", "401001", "401003", "401005")

    result = do_import("fts", data, filename="fts.csv")

    assert result.written, [r.message for r in result.rows]
    assert [(r.line, r.outcome) for r in result.rows] == [
        (line, "new") for line in range(2, 8)
    ]
    assert "refund on the pledge of flow 401005" in result.rows[0].message
    assert "reduces the pledge of flow 401003" in result.rows[2].message
    assert pledge("401001").received_total() == Decimal("150000.00")
    assert pledge("401001").stage == "pledged"
    assert pledge("401003").amount == Decimal("200000.00")
    assert pledge("401005").received_total() == Decimal("0.00")


def test_reimporting_refunds_and_reductions_changes_nothing(rates):
    data = (DATA / "imports_fts_refunds.csv").read_bytes()
    do_import("fts", data, filename="fts.csv")

    again = do_import("fts", data, filename="fts.csv")

    assert again.counts["unchanged"] == 6, [r.message for r in again.rows]
    assert "already up to date" in again.summary()
    assert Payment.objects.count() == 4
    assert pledge("401003").amount == Decimal("200000.00")
    assert PledgeReduction.objects.filter(external_id="401004").count() == 1
    # The reduced commitment alone, as FTS still gives it: the cut stays.
    alone = do_import("fts", flows("401003"), filename="fts.csv")
    assert alone.counts["unchanged"] == 1, [r.message for r in alone.rows]
    assert pledge("401003").amount == Decimal("200000.00")


def test_a_refund_of_a_flow_not_imported_is_an_error_and_nothing_is_written(rates):
    data = flows("401003", "401002")

    result = do_import("fts", data, filename="fts.csv")

    assert not result.written
    error = result.rows[1]
    assert error.outcome == "error"
    assert error.message == (
        "Row 3: column originalAmount, value '-50000': no paid flow of this donor "
        "in EUR on or before 2024-09-16 has EUR 50000 received to refund: import "
        "the flow it refunds first, or give its id in an originalFlowId column."
    )
    assert Pledge.objects.count() == 0
    assert Payment.objects.count() == 0


def test_valid_rows_only_imports_the_others(rates):
    data = flows("401003", "401002")

    result = do_import("fts", data, filename="fts.csv", valid_rows_only=True)

    assert result.written
    assert [r.outcome for r in result.rows] == ["new", "error"]
    assert pledge("401003").amount == Decimal("300000.00")
    assert Payment.objects.count() == 0


def test_a_named_original_that_was_not_imported_is_an_error(rates):
    rows = sample()
    refund = {**rows["401002"], "originalFlowId": "999999"}

    result = do_import("fts", fts(rows["401001"], refund), filename="fts.csv")

    assert not result.written
    assert result.rows[1].message == (
        "Row 3: column originalFlowId, value '999999': no flow 999999 has been "
        "imported: import flow 999999 first."
    )


def test_a_refund_of_a_row_with_an_error_is_an_error_too(rates):
    rows = sample()
    broken = {**rows["401001"], "originalCurrency": "XXX"}
    refund = {**rows["401002"], "originalFlowId": "401001"}

    result = do_import(
        "fts", fts(refund, broken), filename="fts.csv", valid_rows_only=True
    )

    assert [r.outcome for r in result.rows] == ["error", "error"]
    assert "flow 401001 is row 3 of this file, which has an error" in (
        result.rows[0].message
    )
    assert Pledge.objects.count() == 0


def test_a_refund_in_another_currency_converts_at_its_own_date(rates):
    rows = sample()
    do_import("fts", fts(rows["401001"]), filename="fts.csv")
    # USD 12,000 back on the EUR pledge: EUR 9,000 (x 0.75), CHF 10,200 (x 0.85).
    refund = {
        **rows["401002"],
        "originalAmount": "",
        "originalCurrency": "",
        "amountUSD": "-12000",
        "originalFlowId": "401001",
    }

    result = do_import("fts", fts(refund), filename="fts.csv")

    assert result.written, [r.message for r in result.rows]
    assert "(found by" not in result.rows[0].message  # named, not searched
    payment = Payment.objects.get(external_id="401002")
    assert (payment.amount, payment.currency) == (Decimal("-12000.00"), "USD")
    assert payment.amount_in_pledge_currency == Decimal("-9000.00")
    assert payment.amount_chf == Decimal("-10200.00")
    germany = pledge("401001")
    assert germany.received_total() == Decimal("191000.00")
    assert germany.stage == "pledged"


def test_a_refund_without_a_rate_for_its_date_is_an_error(rates):
    rows = sample()
    do_import("fts", fts(rows["401001"]), filename="fts.csv")
    # Nor does the file carry one (exchangeRate, amountUSD): see test_fts_history.
    refund = {
        **rows["401002"],
        "originalCurrency": "GBP",
        "originalFlowId": "401001",
        "exchangeRate": "",
        "amountUSD": "",
    }

    result = do_import("fts", fts(refund), filename="fts.csv")

    assert result.rows[0].message == (
        "Row 2: column originalCurrency, value 'GBP': No exchange rate for GBP "
        "on or before 2024-09-16."
    )
    assert Payment.objects.count() == 1


def test_a_refund_larger_than_received_is_an_error(rates):
    rows = sample()
    refund = {
        **rows["401002"],
        "originalAmount": "-250000",
        "originalFlowId": "401001",
    }

    result = do_import("fts", fts(rows["401001"], refund), filename="fts.csv")

    assert not result.written
    assert result.rows[1].message == (
        "Row 3: column originalAmount, value '-250000': a refund of EUR 250000.00 "
        "is more than the EUR 200000.00 received on the pledge of flow 401001."
    )


def test_the_rule_takes_the_flow_of_that_amount_else_the_latest(rates):
    rows = sample()
    january = {**rows["401001"], "id": "402001", "originalAmount": "60000"}
    january["date"] = "2024-01-15T00:00:00Z"
    march = {**rows["401001"], "id": "402002", "originalAmount": "100000"}
    whole = {**rows["401002"], "id": "402003", "originalAmount": "-60000"}
    part = {**rows["401002"], "id": "402004", "originalAmount": "-30000"}

    result = do_import("fts", fts(january, march, whole, part), filename="fts.csv")

    assert result.written, [r.message for r in result.rows]
    assert Payment.objects.get(external_id="402003").pledge == pledge("402001")
    assert Payment.objects.get(external_id="402004").pledge == pledge("402002")
    assert pledge("402001").received_total() == Decimal("0.00")
    assert pledge("402002").received_total() == Decimal("70000.00")


def test_a_negative_pledge_of_the_whole_amount_withdraws_it(rates):
    rows = sample()
    cancelled = {**rows["401004"], "originalAmount": "-300000"}
    do_import("fts", fts(rows["401003"]), filename="fts.csv")

    result = do_import("fts", fts(cancelled), filename="fts.csv")

    assert result.written, [r.message for r in result.rows]
    assert "withdraws the pledge of flow 401003" in result.rows[0].message
    luxembourg = pledge("401003")
    assert luxembourg.stage == "withdrawn"
    assert luxembourg.closed_on == dt.date(2024, 10, 1)
    assert luxembourg.closed_reason.startswith("Withdrawn in OCHA FTS on 2024-10-01.")
    assert luxembourg.amount == Decimal("300000.00")
    (reduction,) = luxembourg.reductions.all()
    assert (reduction.external_id, reduction.amount) == ("401004", Decimal("300000.00"))
    assert reduction.withdraws
    assert luxembourg.pledged_before_reductions() == Decimal("300000.00")
    both = fts(rows["401003"], cancelled)
    again = do_import("fts", both, filename="fts.csv")
    assert again.counts["unchanged"] == 2, [r.message for r in again.rows]
    assert pledge("401003").stage == "withdrawn"


def test_a_pledge_with_money_received_is_not_withdrawn(rates):
    rows = sample()
    cancelled = {
        **rows["401002"],
        "status": "pledge",
        "originalAmount": "-200000",
        "originalFlowId": "401001",
    }
    do_import("fts", fts(rows["401001"]), filename="fts.csv")

    result = do_import("fts", fts(cancelled), filename="fts.csv")

    assert result.rows[0].message == (
        "Row 2: column originalAmount, value '-200000': this cancels the pledge of "
        "flow 401001, but EUR 200000.00 was received on it: import the refund first."
    )
    assert pledge("401001").stage == "fulfilled"


def test_a_refund_of_a_flow_whose_update_fails_fails_too(rates):
    rows = sample()
    do_import("fts", fts(rows["401001"]), filename="fts.csv")
    # Payments are recorded in EUR: the pledge's currency cannot change now.
    changed = {**rows["401001"], "originalCurrency": "CHF"}
    refund = {**rows["401002"], "originalFlowId": "401001"}

    result = do_import(
        "fts", fts(changed, refund), filename="fts.csv", valid_rows_only=True
    )

    assert [r.outcome for r in result.rows] == ["error", "error"]
    assert result.rows[1].message == (
        "Row 3: column originalFlowId, value '401001': flow 401001, which it "
        "corrects, is row 2 of this file, which has an error: fix that row first."
    )
    assert Payment.objects.count() == 1


def test_corrections_find_their_flows_across_chunks_of_a_large_file(rates, monkeypatch):
    # Large files are planned and written a chunk at a time.
    monkeypatch.setattr("crm.imports.engine.CHUNK", 2)
    data = flows("401006", "401002", "401004", "401001", "401003", "401005")

    result = do_import("fts", data, filename="fts.csv")

    assert result.written, [r.message for r in result.rows]
    assert result.counts["new"] == 6
    assert pledge("401001").received_total() == Decimal("150000.00")
    assert pledge("401003").amount == Decimal("200000.00")
    assert pledge("401005").stage == "pledged"
    again = do_import("fts", data, filename="fts.csv")
    assert again.counts["unchanged"] == 6, [r.message for r in again.rows]


def test_editing_the_notes_by_hand_does_not_reduce_the_pledge_again(rates):
    data = (DATA / "imports_fts_refunds.csv").read_bytes()
    do_import("fts", data, filename="fts.csv")
    luxembourg = pledge("401003")
    luxembourg.notes = "Reduction agreed by phone; letter to follow."
    luxembourg.save()

    again = do_import("fts", data, filename="fts.csv")

    assert again.counts["unchanged"] == 6, [r.message for r in again.rows]
    assert pledge("401003").amount == Decimal("200000.00")
    assert PledgeReduction.objects.count() == 1
    luxembourg = pledge("401003")
    luxembourg.notes = ""
    luxembourg.save()
    alone = do_import("fts", flows("401003"), filename="fts.csv")
    assert alone.counts["unchanged"] == 1, [r.message for r in alone.rows]
    assert pledge("401003").amount == Decimal("200000.00")


def test_a_second_reduction_of_the_same_pledge_adds_to_the_first(rates):
    rows = sample()
    again = {**rows["401004"], "id": "401007", "originalAmount": "-50000"}
    do_import("fts", flows("401003", "401004"), filename="fts.csv")

    result = do_import("fts", fts(again), filename="fts.csv")

    assert result.written, [r.message for r in result.rows]
    luxembourg = pledge("401003")
    assert luxembourg.amount == Decimal("150000.00")
    assert sorted(luxembourg.reductions.values_list("external_id", flat=True)) == [
        "401004",
        "401007",
    ]
    assert luxembourg.pledged_before_reductions() == Decimal("300000.00")
    # The original flow as FTS still gives it: both cuts stay.
    alone = do_import("fts", flows("401003"), filename="fts.csv")
    assert alone.counts["unchanged"] == 1, [r.message for r in alone.rows]


def test_a_reduction_made_by_hand_stays_when_the_flow_is_imported_again(rates):
    do_import("fts", flows("401003"), filename="fts.csv")
    services.pledge_reduce(
        pledge=pledge("401003"),
        by=Decimal("30000.00"),
        on=dt.date(2024, 6, 1),
        reason="Donor letter of 2024-06-01",
    )

    again = do_import("fts", flows("401003"), filename="fts.csv")

    assert again.counts["unchanged"] == 1, [r.message for r in again.rows]
    assert pledge("401003").amount == Decimal("270000.00")


def test_a_reduced_pledge_keeps_its_currency(rates):
    do_import("fts", flows("401003", "401004"), filename="fts.csv")
    in_euros = {**sample()["401003"], "originalCurrency": "EUR"}

    result = do_import("fts", fts(in_euros), filename="fts.csv")

    assert not result.written
    assert "Reductions are recorded in CHF terms for this pledge" in (
        result.rows[0].message
    )
    assert pledge("401003").currency == "CHF"


def test_reductions_an_import_writes_are_in_the_history_under_its_batch(
    rates, superuser
):
    data = (DATA / "imports_fts_refunds.csv").read_bytes()
    batch = ImportBatch.objects.create(
        resource="fts", file_name="fts.csv", user=superuser
    )

    result = run_import(
        get_importer("fts"),
        data,
        filename="fts.csv",
        options=ImportOptions(),
        batch=batch,
        user=superuser,
    )

    assert result.written, [r.message for r in result.rows]
    reduction = PledgeReduction.objects.get(external_id="401004")
    assert reduction.import_batch == batch
    (version,) = reduction.history.all()
    assert (version.history_type, version.history_change_reason) == (
        "+",
        f"import batch {batch.pk}",
    )
    assert version.history_user == superuser
    assert version.import_batch_id == batch.pk
    assert (version.amount, version.external_id) == (Decimal("100000.00"), "401004")
    reduced = pledge("401003").history.first()
    assert reduced.amount == Decimal("200000.00")
    assert reduced.history_change_reason == f"import batch {batch.pk}"
