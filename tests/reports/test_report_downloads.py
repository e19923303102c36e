"""CSV, XLSX and PDF downloads hold exactly what the page shows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.http import urlencode
from openpyxl import load_workbook

from crm.lib.names import user_name
from crm.lib.spreadsheets import neutralise
from tests.factories import PartnerFactory, PaymentFactory, PledgeFactory
from tests.reports.conftest import pdf_text
from tests.reports.report_world import build_world

pytestmark = pytest.mark.django_db

CASES = [
    ("mobilization", {"year": 2025}),
    ("pipeline", {"stage": "proposal"}),
    ("contributions", {"date_from": "2024-01-01", "date_to": "2025-12-31"}),
    ("activity", {"year": 2025, "region": "EUR"}),
    ("followups", {"year": 2025}),
    ("membership", {"year": 2025}),
]


@pytest.fixture
def world(db):
    return build_world()


def page(client, slug, params):
    response = client.get(
        reverse("reports_dashboard", args=[slug]) + "?" + urlencode(params)
    )
    assert response.status_code == 200
    return response


def download(client, slug, fmt, params):
    address = reverse("reports_download", args=[slug, fmt])
    response = client.get(address + "?" + urlencode(params))
    assert response.status_code == 200
    return response


def below_preamble(rows: list) -> list:
    """The rows under the header rows that say what the download is."""
    blank = next(i for i, row in enumerate(rows) if not any(row))
    return rows[blank + 1 :]


def shown(presented) -> tuple[list[str], list[list[str]]]:
    """Header and rows (total last) of a table as the page renders them."""
    rows = [[cell.text for cell in row] for row in presented.rows]
    if presented.total:
        rows.append([cell.text for cell in presented.total])
    return [h.text for h in presented.headers], rows


def same_value(written, value) -> bool:
    if value is None or value == "":
        return written in ("", None)
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return Decimal(str(written)) == Decimal(value)
    if isinstance(value, dt.date):
        if isinstance(written, dt.datetime):
            written = written.date()
        return str(written) == value.isoformat()
    return written == str(value)


@pytest.mark.parametrize(("slug", "params"), CASES)
def test_csv_holds_each_table_as_shown(admin_client, world, slug, params):
    response = page(admin_client, slug, params)

    for presented, _csv_url in response.context["tables"]:
        table = presented.table
        headers, rows = shown(presented)
        csv_response = download(
            admin_client, slug, "csv", {**params, "table": table.key}
        )
        assert csv_response["Content-Type"].startswith("text/csv")
        text = csv_response.content.decode("utf-8-sig")
        written = below_preamble(list(csv.reader(io.StringIO(text))))
        assert written[0] == headers
        assert len(written) - 1 == len(rows)
        for line, values in zip(written[1:], table.all_rows(), strict=True):
            assert all(same_value(w, v) for w, v in zip(line, values, strict=True)), (
                line,
                values,
            )


@pytest.mark.parametrize(("slug", "params"), CASES)
def test_xlsx_holds_every_table_as_shown(admin_client, world, slug, params):
    response = page(admin_client, slug, params)
    presented_tables = [p for p, _url in response.context["tables"]]

    xlsx = download(admin_client, slug, "xlsx", params)
    workbook = load_workbook(io.BytesIO(xlsx.content))

    assert len(workbook.worksheets) == len(presented_tables)
    for sheet, presented in zip(workbook.worksheets, presented_tables, strict=True):
        headers, rows = shown(presented)
        written = below_preamble(list(sheet.iter_rows(values_only=True)))
        assert list(written[0]) == headers
        assert len(written) - 1 == len(rows)
        for line, values in zip(written[1:], presented.table.all_rows(), strict=True):
            assert all(same_value(w, v) for w, v in zip(line, values, strict=True)), (
                line,
                values,
            )


@pytest.mark.parametrize(("slug", "params"), CASES)
def test_pdf_opens_and_carries_the_title(admin_client, world, slug, params):
    response = page(admin_client, slug, params)
    title = str(response.context["report"].title)

    pdf = download(admin_client, slug, "pdf", params)

    assert pdf["Content-Type"] == "application/pdf"
    assert title in pdf_text(pdf.content)


def test_the_mobilization_csv_figures(admin_client, world):
    response = download(admin_client, "mobilization", "csv", {"year": 2025})

    text = response.content.decode("utf-8-sig")
    lines = below_preamble(list(csv.reader(io.StringIO(text))))
    assert lines[0][:4] == ["Year", "Lever", "Target (CHF)", "Received (CHF)"]
    core = next(line for line in lines if line[1] == "Core")
    assert core == [
        "2025",
        "Core",
        "100000.00",
        "50000.00",
        "50000.00",
        "45000.00",
        "50.0",
    ]
    assert lines[-1][1:] == [
        "All levers",
        "150000.00",
        "50000.00",
        "50000.00",
        "65000.00",
        "33.3",
    ]


def test_text_that_a_spreadsheet_would_run_is_neutralised(admin_client, world):
    for prefix in ("=", "+", "-", "@"):
        assert neutralise(f"{prefix}1+1") == f"'{prefix}1+1"
    assert neutralise("Plain name") == "Plain name"
    evil = PartnerFactory(name='=HYPERLINK("http://evil.example","x")')
    pledge = PledgeFactory(partner=evil, pledged_on=dt.date(2025, 5, 1))
    PaymentFactory(pledge=pledge, received_on=dt.date(2025, 5, 2))
    params = {"year": 2025}

    csv_response = download(
        admin_client, "contributions", "csv", {**params, "table": "top"}
    )
    xlsx = load_workbook(
        io.BytesIO(download(admin_client, "contributions", "xlsx", params).content)
    )

    assert "'=HYPERLINK" in csv_response.content.decode("utf-8-sig")
    cells = [c for row in xlsx.worksheets[4].iter_rows() for c in row]
    formula = next(c for c in cells if str(c.value).startswith("=HYPERLINK"))
    assert formula.data_type == "s"


def test_an_unknown_table_or_format_is_not_found(admin_client, world):
    base = reverse("reports_download", args=["pipeline", "csv"])
    assert admin_client.get(base + "?table=nope").status_code == 404
    other = reverse("reports_download", args=["pipeline", "docx"])
    assert admin_client.get(other).status_code == 404


FILENAMES = [
    (
        "mobilization",
        "xlsx",
        {"year": 2026, "region": "EUR", "category": "government"},
        "mobilization_2026_europe-government_en.xlsx",
    ),
    (
        "pipeline",
        "csv",
        {"stage": "proposal", "table": "stages"},
        "pipeline_all-dates_proposal_stages_en.csv",
    ),
    (
        "contributions",
        "pdf",
        {"date_from": "2024-01-01", "date_to": "2025-12-31"},
        "contributions_2024-2025_en.pdf",
    ),
    (
        "activity",
        "csv",
        {"date_from": "2025-03-01", "date_to": "2025-04-30"},
        "activity_2025-03-01-2025-04-30_months_en.csv",
    ),
]


@pytest.mark.parametrize(("slug", "fmt", "params", "filename"), FILENAMES)
def test_the_file_name_carries_the_period_and_main_filters(
    admin_client, world, slug, fmt, params, filename
):
    response = download(admin_client, slug, fmt, params)

    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'


def test_every_format_states_filters_date_and_author(admin_client, world, superuser):
    params = {"year": 2025, "region": "EUR", "category": "government"}
    who = user_name(superuser)

    csv_text = download(
        admin_client, "mobilization", "csv", {**params, "table": "levers"}
    ).content.decode("utf-8-sig")
    sheet = load_workbook(
        io.BytesIO(download(admin_client, "mobilization", "xlsx", params).content)
    ).worksheets[0]
    pdf = pdf_text(download(admin_client, "mobilization", "pdf", params).content)

    csv_head = list(csv.reader(io.StringIO(csv_text)))[:6]
    xlsx_head = [list(r[:2]) for r in sheet.iter_rows(max_row=6, values_only=True)]
    expected = [
        ["Mobilization against targets"],
        ["Period", "2025"],
        ["ITU region", "Europe"],
        ["Partner category", "Government"],
        ["Target", "global, not narrowed by ITU region, Partner category"],
    ]
    assert csv_head[:5] == expected
    assert [row[: len(e)] for row, e in zip(xlsx_head, expected, strict=False)] == [
        e if len(e) == 2 else [e[0]] for e in expected
    ]
    for produced in (csv_head[5], xlsx_head[5]):
        assert produced[0] == "Produced" and produced[1].endswith(f"by {who}")
    assert "ITU region: Europe; Partner category: Government" in pdf
    assert "Target: global, not narrowed by ITU region, Partner category" in pdf
    assert f"by {who}" in pdf


def test_the_page_describes_its_filters_the_same_way(admin_client, world):
    response = page(admin_client, "mobilization", {"year": 2025, "tag": ""})
    about = response.context["about"]

    assert about.filters == (("Period", "2025"),)
    assert about.targets_note == ""
    assert "Period: <strong>2025</strong>" in response.content.decode()
