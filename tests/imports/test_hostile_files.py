"""Hostile files are refused quickly, with a clear message, writing nothing.

Each file of ``tests/hostile_files.py`` goes through the upload page and the
``import_data`` command; the page (or the command's error) names the limit,
no pledge is written and no import batch is left queued or running. Their
time and memory are measured by ``python -m bench hostile``.
"""

from __future__ import annotations

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from crm.imports import services
from crm.imports.engine import ImportOptions
from crm.lib.import_limits import ImportLimits, LimitExceeded
from crm.lib.tabular import TableError, read_table
from crm.lib.xlsx_guard import inspect_xlsx
from crm.models import ImportBatch
from pledges.models import Pledge
from tests import hostile_files

FILES = list(hostile_files.ALL)


def nothing_left_behind() -> None:
    assert not Pledge.objects.exists()
    assert not ImportBatch.objects.filter(
        status__in=[ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING]
    ).exists()


@pytest.mark.parametrize("kind", FILES)
def test_the_upload_page_refuses_each_hostile_file(admin_client, world, kind):
    make, message = hostile_files.ALL[kind]
    name, data = make()
    page = admin_client.post(
        reverse("admin:pledges_pledge_import"),
        {
            "file": SimpleUploadedFile(name, data),
            "resource": "pledges",
            "dates": "dayfirst",
        },
    )
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    assert message in text
    assert "Nothing was imported" in text or "binary file" in text
    assert not ImportBatch.objects.exists()  # refused before it was stored
    nothing_left_behind()


@pytest.mark.parametrize("kind", FILES)
def test_the_import_command_refuses_each_hostile_file(world, tmp_path, kind):
    make, message = hostile_files.ALL[kind]
    name, data = make()
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CommandError, match=message):
        call_command("import_data", "pledges", str(path))
    nothing_left_behind()


def test_the_far_column_message_names_the_column_and_the_limit():
    _name, data = hostile_files.far_column()
    with pytest.raises(LimitExceeded) as refused:
        read_table(data)
    assert str(refused.value) == (
        'The file was refused: highest column used in sheet "Pledges": '
        "ZZZZ (475,254), above the limit of IV (256) (setting "
        "IMPORT_MAX_COLUMNS). Nothing was imported."
    )


def test_the_row_estimate_counts_rows_and_ignores_dimension():
    rows = "".join(hostile_files._data_row(row) for row in range(2, 12_002))
    sheet = hostile_files._sheet(hostile_files._header_row() + rows).replace(
        b"<sheetData>", b'<dimension ref="A1:E2"/><sheetData>'
    )
    data = hostile_files.workbook(sheet)
    assert services.estimate_rows(data, "big.xlsx") == 12_001


def test_a_far_column_below_the_first_rows_fails_the_background_run(world):
    """The request checks the first BACKGROUND_ROWS rows in full; the worker
    reads all of them, and its refusal fails the batch instead of leaving it
    queued."""
    rows = "".join(hostile_files._data_row(row) for row in range(2, 10_010))
    rows += '<row r="10010"><c r="XFE10010"><v>1</v></c></row>'
    data = hostile_files.workbook(
        hostile_files._sheet(hostile_files._header_row() + rows)
    )
    assert services.upload_check(data=data, file_name="late.xlsx") > (
        services.BACKGROUND_ROWS
    )
    batch = services.batch_create(
        resource="pledges",
        data=data,
        file_name="late.xlsx",
        options=ImportOptions(),
        dry_run=False,
    )
    services.batch_run_queued(batch_id=batch.pk, dry_run=False)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert "IMPORT_MAX_COLUMNS" in batch.message
    nothing_left_behind()


@override_settings(IMPORT_MAX_ROWS=3, IMPORT_MAX_COLUMNS=4)
def test_csv_rows_and_columns_over_the_limits_are_refused():
    many = "Donor,Amount\n" + "Japan,1\n" * 5
    with pytest.raises(LimitExceeded, match=r"rows below the header: at least 4"):
        read_table(many.encode())
    wide = "Donor,Amount\nJapan,1,2,3,4,5\n"
    with pytest.raises(LimitExceeded, match=r"columns in row 2: 6.*IMPORT_MAX_COL"):
        read_table(wide.encode())


def test_a_compressed_part_over_the_ratio_is_refused():
    """A part inflating over 100 times, however small the total."""
    body = b"<row/>" * 2_000_000
    data = hostile_files.workbook(hostile_files._sheet(body.decode()))
    with pytest.raises(LimitExceeded, match="IMPORT_MAX_COMPRESSION_RATIO"):
        inspect_xlsx(data, ImportLimits(max_rows=10**7))


def test_the_batch_keeps_a_bounded_share_of_unknown_columns_and_notes(world):
    headers = ["Donor", "Reference", "Amount", "Currency", "Date"]
    headers += [f"Extra {n} " + "x" * 300 for n in range(200)]
    line = ",".join(["Japan", "JP-1", "1000", "CHF", "31.03.2024"] + ["y"] * 200)
    data = (",".join(headers) + "\n" + line + "\n").encode()
    batch = services.batch_create(
        resource="pledges",
        data=data,
        file_name="wide.csv",
        options=ImportOptions(lever="voluntary"),
        dry_run=True,
    )
    services.batch_run(batch=batch, data=data)
    batch.refresh_from_db()
    assert len(batch.unknown_columns) == services.UNKNOWN_COLUMNS_KEPT + 1
    assert batch.unknown_columns[-1] == "… and 150 more"
    assert all(len(name) <= 100 for name in batch.unknown_columns)
    assert len(batch.preview["unknown_columns"]) <= 50
    assert all(len(row[3]) <= 60 for row in batch.preview["rows"])


@pytest.mark.parametrize(
    "cell",
    [
        "<c r = 'ZZZZ2'><v>1</v></c>",  # spaces and single quotes
        '<c s="1"\n r="ZZZZ2"><v>1</v></c>',  # not the first attribute
        '<x:c r="ZZZZ2" xmlns:x="urn:x"><x:v>1</x:v></x:c>',  # a prefix
    ],
)
def test_a_far_column_is_refused_however_its_reference_is_written(cell):
    rows = hostile_files._header_row() + hostile_files._data_row(2).replace(
        "</row>", cell + "</row>"
    )
    data = hostile_files.workbook(hostile_files._sheet(rows))
    with pytest.raises(LimitExceeded, match="ZZZZ"):
        inspect_xlsx(data)


def test_a_cell_with_two_references_is_refused():
    rows = hostile_files._header_row() + hostile_files._data_row(2).replace(
        "</row>", '<c r="F2" r="ZZZZ2"><v>1</v></c></row>'
    )
    data = hostile_files.workbook(hostile_files._sheet(rows))
    with pytest.raises(TableError, match="two references"):
        inspect_xlsx(data)


@pytest.mark.parametrize(
    ("number", "letters"),
    [
        (1, "A"),
        (26, "Z"),
        (27, "AA"),
        (16384, "XFD"),
        (26**9, "YYYYYYYYZ"),
        # Past ten letters a message names the column by its number.
        (10**15, "1,000,000,000,000,000"),
    ],
)
def test_a_column_is_named_by_letters_or_by_its_number(number, letters):
    from crm.lib.xlsx_guard import column_letters

    assert column_letters(number) == letters
