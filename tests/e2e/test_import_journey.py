"""Journey 2: a donor spreadsheet with bad rows, its error report, and re-imports."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from pledges.models import Pledge
from tests.e2e.conftest import PASSWORD, log_in
from tests.factories import (
    CountryFactory,
    ExchangeRateFactory,
    GovernmentFactory,
    LeverFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def donor_workbook(path) -> None:
    book = Workbook()
    notes = book.active
    notes.title = "Read me"
    notes.append(["Figures from the finance division, provisional."])
    sheet = book.create_sheet("Pledges 2026")
    sheet.append(["Voluntary contributions 2026"])
    sheet.append(["Amounts in the currency of the pledge"])
    sheet.append([])
    sheet.append(["Donor", "Title", "Amount", "Currency", "Date pledged"])
    sheet.append(
        ["Freedonia", "Giga connectivity", "CHF 250'000.00", "CHF", "15.03.2026"]
    )
    sheet.append(["Sylvania", "Girls in ICT", "1.200.000,00", "EUR", "01.04.2026"])
    sheet.append(["Freedonia", "Cyber drill", "50,000", "XYZ", "10.04.2026"])
    sheet.append(["Sylvania", "AI skills", "75'000", "CHF", "31.02.2026"])
    sheet.append(["Total", None, "1'575'000", None, None])
    book.save(path)


def upload(page, live_server, path, *, valid_rows_only: bool = False) -> None:
    page.goto(f"{live_server.url}/admin/pledges/pledge/")
    page.click(".object-tools a:has-text('Import')")
    page.set_input_files("input[name=file]", str(path))
    # The file has no lever column: the form asks which lever its pledges go to.
    page.select_option("select[name=lever]", "unearmarked")
    if valid_rows_only:
        page.check("input[name=valid_rows_only]")
    page.click("input[type=submit][value=Preview]")
    page.wait_for_selector("#import-rows, .messagelist")


def counts(page) -> dict[str, str]:
    table = page.locator("#content-main table").first
    headers = [t.strip() for t in table.locator("th").all_text_contents()]
    values = [t.strip() for t in table.locator("td").all_text_contents()]
    return dict(zip(headers, values, strict=True))


def test_a_donor_file_with_bad_rows_is_fixed_through_its_error_report(
    live_server, page, screenshot, tmp_path
):
    UserFactory(username="finance", password=PASSWORD, is_superuser=True)
    # Its own lever: an earlier transactional test flushes the seeded ones.
    LeverFactory(code="unearmarked", name="Unearmarked voluntary contributions")
    freedonia = GovernmentFactory(
        name="Freedonia", country=CountryFactory(name_en="Freedonia", iso3="XFD")
    )
    GovernmentFactory(
        name="Sylvania", country=CountryFactory(name_en="Sylvania", iso3="XSY")
    )
    ExchangeRateFactory(currency="CHF", units_per_usd=Decimal("0.8"))
    ExchangeRateFactory(currency="EUR", units_per_usd=Decimal("0.9"))
    # Another active lever: the import must not pick one by itself.
    LeverFactory(code="membership", name="Membership and contributory units")
    workbook = tmp_path / "donor-pledges-2026.xlsx"
    donor_workbook(workbook)

    log_in(page, live_server, "finance")
    upload(page, live_server, workbook, valid_rows_only=True)
    assert counts(page)["New"] == "2"
    assert counts(page)["Errors"] == "2"
    rows = page.locator("#import-rows").inner_text()
    assert "XYZ" in rows
    assert "31.02.2026" in rows

    with page.expect_download() as download_info:
        page.click("a:has-text('Download the error report')")
    # An Excel upload gets its error report as a workbook, sheet name kept.
    assert download_info.value.suggested_filename.endswith("-errors.xlsx")
    report = load_workbook(io.BytesIO(download_info.value.path().read_bytes()))
    assert report.sheetnames == ["Pledges 2026"]
    page.click("input[name=confirm]")
    page.wait_for_selector(".messagelist")
    assert Pledge.objects.count() == 2
    assert set(Pledge.objects.values_list("lever__code", flat=True)) == {"unearmarked"}

    sheet = report.active
    header = [cell.value for cell in sheet[1]]
    assert header[:5] == ["Donor", "Title", "Amount", "Currency", "Date pledged"]
    assert header[5] == "Import error"
    for row in sheet.iter_rows(min_row=2):
        if row[3].value == "XYZ":
            row[3].value = "EUR"
        if row[4].value == "31.02.2026":
            row[4].value = "28.02.2026"
    fixed_file = tmp_path / "errors-fixed.xlsx"
    report.save(fixed_file)
    # The report holds every row; those imported already are unchanged.
    upload(page, live_server, fixed_file)
    assert counts(page)["New"] == "2"
    assert counts(page)["Unchanged"] == "2"
    assert counts(page)["Errors"] == "0"
    page.click("input[name=confirm]")
    page.wait_for_selector(".messagelist .success")
    assert Pledge.objects.count() == 4
    drill = Pledge.objects.get(title="Cyber drill")
    assert (drill.amount, drill.currency) == (Decimal("50000.00"), "EUR")
    assert Pledge.objects.get(title="AI skills").pledged_on == dt.date(2026, 2, 28)

    page.goto(f"{live_server.url}/admin/partners/partner/{freedonia.pk}/change/")
    assert page.get_by_text("Giga connectivity").first.is_visible()
    assert page.get_by_text("Cyber drill").first.is_visible()

    upload(page, live_server, fixed_file)
    assert counts(page)["New"] == "0"
    assert counts(page)["Unchanged"] == "4"
    assert page.get_by_text("4 unchanged").first.is_visible()
    assert page.get_by_text("already up to date").first.is_visible()
    assert page.locator("input[name=confirm]").count() == 0
    assert Pledge.objects.count() == 4
    screenshot("2-import-unchanged")
