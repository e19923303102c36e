from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from crm.imports.engine import ImportOptions, run_import
from crm.imports.registry import get_importer
from crm.imports.services import batch_create, batch_run
from crm.models import ImportBatch
from partners.models import Partner
from pledges.models import Pledge
from tests.factories import PledgeFactory
from tests.imports.conftest import DATA, do_import

PLEDGES = """Donor,Reference,Amount,Currency,Date de la promesse
"Luxembourg, Government of",LU-1,"1'000'000.50",CHF,31.03.2024
Korea (Rep. of),KR-1,"1.234.567,50",EUR,15.04.2024
ACME,AC-1,JPY 2.5m,,2024-05-01
"""


def test_it_imports_pledges_with_chf_equivalents(world):
    result = do_import("pledges", PLEDGES)
    assert not result.has_errors, [r.message for r in result.rows]
    assert result.counts["new"] == 3
    assert result.written
    lux = Pledge.objects.get(external_id="LU-1")
    assert lux.partner == world["gov"]["LUX"]
    assert lux.amount == Decimal("1000000.50")
    assert lux.pledged_on == dt.date(2024, 3, 31)
    assert lux.stage == "pledged"
    assert lux.probability == 75
    assert lux.lever == world["lever"]
    kr = Pledge.objects.get(external_id="KR-1")
    assert kr.partner == world["gov"]["KOR"]
    # 0.90 CHF / 0.80 EUR per USD: CHF 1.125 per EUR.
    assert kr.amount_chf == Decimal("1388888.44")
    assert kr.chf_rate == Decimal("1.125")
    jp = Pledge.objects.get(external_id="AC-1")
    assert jp.partner == world["acme"]
    assert jp.amount == Decimal("2500000")
    assert jp.currency == "JPY"


def test_reimporting_the_same_file_changes_nothing_and_says_so(world):
    do_import("pledges", PLEDGES)
    before = list(Pledge.objects.values_list("pk", "updated_at"))
    result = do_import("pledges", PLEDGES)
    assert result.counts == {
        "new": 0,
        "update": 0,
        "unchanged": 3,
        "skipped": 0,
        "error": 0,
    }
    assert "already up to date" in result.summary()
    assert list(Pledge.objects.values_list("pk", "updated_at")) == before


def test_a_changed_row_is_an_update_and_keeps_the_rest(world):
    do_import("pledges", PLEDGES)
    changed = PLEDGES.replace("1'000'000.50", "1'100'000")
    result = do_import("pledges", changed)
    assert result.counts["update"] == 1
    assert result.counts["unchanged"] == 2
    lux = Pledge.objects.get(external_id="LU-1")
    assert lux.amount == Decimal("1100000")
    assert lux.amount_chf == Decimal("1100000.00")
    assert "amount" in next(r for r in result.rows if r.outcome == "update").message


def test_every_imported_record_points_to_its_batch(world):
    batch = batch_create(
        resource="pledges",
        data=PLEDGES.encode(),
        file_name="pledges.csv",
        options=ImportOptions(lever="voluntary"),
    )
    batch_run(batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert batch.rows_new == 3
    assert len(batch.checksum) == 64
    assert set(Pledge.objects.values_list("import_batch", flat=True)) == {batch.pk}
    changed = PLEDGES.replace("1'000'000.50", "7")
    second = batch_create(
        resource="pledges",
        data=changed.encode(),
        file_name="pledges.csv",
        options=ImportOptions(lever="voluntary"),
    )
    batch_run(batch=second)
    assert Pledge.objects.get(external_id="LU-1").import_batch == second
    assert Pledge.objects.get(external_id="KR-1").import_batch == batch


def test_a_file_with_one_error_imports_nothing(world):
    bad = PLEDGES + "Nowhere Land,NW-1,100,CHF,2024-01-01\n"
    result = do_import("pledges", bad)
    assert result.counts["error"] == 1
    assert not result.written
    assert Pledge.objects.count() == 0
    error = next(r for r in result.rows if r.outcome == "error")
    assert error.line == 5
    assert "Nowhere Land" in error.message


def test_valid_rows_only_imports_the_others(world):
    bad = PLEDGES + "Nowhere Land,NW-1,100,CHF,2024-01-01\n"
    result = do_import("pledges", bad, valid_rows_only=True)
    assert result.written
    assert Pledge.objects.count() == 3


def test_unmatched_partners_are_created_when_allowed(world):
    text = "Donor,Amount,Currency,Date\nFondation Nouvelle*,5000,CHF,2024-01-10\n"
    result = do_import("pledges", text, create_partners=True)
    assert result.written, result.rows
    partner = Partner.objects.get(name="Fondation Nouvelle")
    assert partner.pledges.get().title.startswith("Fondation Nouvelle pledge")


def test_a_member_state_code_or_unknown_government_creates_its_government(world):
    luxembourg = world["gov"]["LUX"]
    text = "Country,Amount,Currency,Date\nLUX,100,CHF,2024-01-10\n"
    do_import("pledges", text)
    assert Pledge.objects.get().partner == luxembourg


def test_a_close_name_is_a_suggestion_never_a_silent_match(world):
    text = "Donor,Amount,Currency,Date\nAcme Telekom,100,CHF,2024-01-10\n"
    result = do_import("pledges", text, create_partners=True)
    assert not result.written
    (suggestion,) = result.suggestions
    assert suggestion.partner_id == world["acme"].pk
    assert "did you mean Acme Telecom" in result.rows[0].message
    assert not Partner.objects.filter(name="Acme Telekom").exists()
    confirmed = do_import(
        "pledges", text, partner_choices={suggestion.spelling: suggestion.partner_id}
    )
    assert confirmed.written
    assert Pledge.objects.get().partner == world["acme"]


def test_a_missing_rate_is_a_row_error_naming_currency_and_date(world):
    text = "Donor,Amount,Currency,Date\nACME,100,GBP,2024-01-10\n"
    result = do_import("pledges", text)
    message = result.rows[0].message
    assert "GBP" in message and "2024-01-10" in message
    assert Pledge.objects.count() == 0


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("31.02.2024", ["31.02.2024", "Date"]),
        ("2024-13-01", ["2024-13-01", "Date"]),
    ],
)
def test_an_impossible_date_names_row_column_and_value(world, cell, words):
    text = f"Donor,Amount,Currency,Date\nACME,100,CHF,{cell}\n"
    result = do_import("pledges", text)
    assert result.rows[0].outcome == "error"
    assert "Row 2" in result.rows[0].message
    for word in words:
        assert word in result.rows[0].message
    assert Pledge.objects.count() == 0


def test_an_unknown_currency_names_row_column_and_value(world):
    result = do_import(
        "pledges", "Donor,Amount,Currency,Date\nACME,100,XYZ,2024-01-01\n"
    )
    message = result.rows[0].message
    assert "Row 2" in message and "Currency" in message and "XYZ" in message
    result = do_import("pledges", "Donor,Amount,Date\nACME,ZZZ 100,2024-01-01\n")
    assert "ZZZ" in result.rows[0].message
    assert Pledge.objects.count() == 0


def test_a_negative_pledge_is_refused(world):
    result = do_import(
        "pledges", "Donor,Amount,Currency,Date\nACME,(1000),CHF,2024-01-01\n"
    )
    message = result.rows[0].message
    assert "Row 2" in message and "Amount" in message and "(1000)" in message
    assert Pledge.objects.count() == 0


def test_a_formula_cell_is_an_error(world):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Donor", "Amount", "Currency", "Date"])
    sheet.append(["ACME", "=1+1", "CHF", "2024-01-01"])
    out = io.BytesIO()
    book.save(out)
    result = do_import("pledges", out.getvalue(), filename="f.xlsx")
    assert result.rows[0].outcome == "error"
    assert "formula" in result.rows[0].message
    assert "Amount" in result.rows[0].message
    assert Pledge.objects.count() == 0


def test_french_swiss_windows_1252_file_with_title_and_total_rows(world):
    data = (DATA / "imports_pledges_fr_swiss.csv").read_bytes()
    result = do_import("pledges", data, filename="promesses.csv")
    assert result.written, [r.message for r in result.rows]
    assert result.counts["new"] == 3
    assert result.counts["skipped"] >= 1  # the total row, reported
    assert Pledge.objects.get(external_id="LU-2024-01").amount == Decimal("1234567.50")
    assert Pledge.objects.get(external_id="DE-2024-03").partner == world["gov"]["DEU"]


def test_multi_sheet_workbook_picks_the_sheet(world):
    data = (DATA / "imports_pledges_multisheet.xlsx").read_bytes()
    result = do_import("pledges", data, filename="donors.xlsx", sheet="Pledges 2024")
    assert result.sheet == "Pledges 2024"
    assert "Pledges 2023" in result.sheet_names
    assert "Remarks" in result.unknown_columns
    assert result.written, [r.message for r in result.rows]
    assert result.counts["new"] == 3
    assert Pledge.objects.get(external_id="LU-X-1").pledged_on == dt.date(2024, 4, 1)
    result = do_import("pledges", data, filename="donors.xlsx", sheet="Pledges 2023")
    assert Pledge.objects.get(external_id="DE-2023-1").amount == 1000


def test_utf16_text_from_excel(world):
    data = (DATA / "imports_pledges_utf16.txt").read_bytes()
    result = do_import("pledges", data, filename="unicode.txt")
    assert result.written, [r.message for r in result.rows]
    assert Pledge.objects.get().partner == world["gov"]["CIV"]


def test_an_existing_pledge_with_the_same_reference_is_matched(world):
    PledgeFactory(
        partner=world["acme"],
        external_id="AC-1",
        amount=Decimal("2500000"),
        currency="CHF",
        lever=world["lever"],
    )
    result = do_import(
        "pledges", "Donor,Reference,Amount,Currency\nACME,AC-1,2500000,CHF\n"
    )
    assert result.counts["unchanged"] == 1


def test_the_report_is_the_rows_plus_an_error_column_and_imports_again(world):
    bad = PLEDGES + "Nowhere Land,NW-1,100,CHF,2024-01-01\n"
    result = do_import("pledges", bad)
    report = result.report_csv().decode("utf-8-sig")
    lines = report.splitlines()
    assert lines[0].endswith(",Import error")
    assert "Nowhere Land" in lines[-1] and "no partner" in lines[-1]
    fixed = report.replace("Nowhere Land", "ACME").replace(",NW-1,", ",NW-1,")
    result = run_import(
        get_importer("pledges"),
        fixed.encode("utf-8"),
        filename="report.csv",
        options=ImportOptions(lever="voluntary"),
    )
    assert not result.unknown_columns
    assert result.written, [r.message for r in result.rows]
    assert Pledge.objects.count() == 4
