"""Reading CSV, TSV and XLSX files as donors and finance send them."""

from __future__ import annotations

import codecs
import datetime
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crm.lib.parse import parse_amount, parse_date
from crm.lib.tabular import (
    Formula,
    TableError,
    match_headers,
    read_table,
)

DATA = Path(__file__).resolve().parent.parent / "data"

PLEDGE_HINTS = [
    "donor",
    "donateur",
    "partner",
    "amount",
    "montant",
    "currency",
    "devise",
    "pledge date",
    "date de la promesse",
]


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def xlsx(*sheets: tuple[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Sample files


def test_it_reads_the_multi_sheet_pledge_workbook():
    table = read_table(sample("pledges_multisheet.xlsx"), filename="pledges.xlsx")

    assert table.sheet == "Pledges 2024"
    assert table.sheet_names == ["Read me", "Pledges 2024", "Promesses"]
    assert table.header_line == 4
    assert table.headers == [
        "No.",
        "Donor",
        "Amount",
        "Currency",
        "Pledge date",
        "Type",
        "Notes",
    ]
    assert table.notes == [
        "ITU – Voluntary contributions and pledges, 2024",
        "Status as at 31.12.2024. Amounts in the currency of the pledge.",
    ]
    assert [row.line for row in table.rows] == [5, 6, 7, 8, 9, 11, 12, 13]
    first = table.rows[0].values
    assert first["Donor"] == "Germany*"
    assert parse_amount(first["Amount"]).amount == parse_amount("1234567.50").amount
    assert parse_date(first["Pledge date"]) == datetime.date(2024, 3, 31)
    assert table.rows[2].values["Pledge date"] == 45382
    assert table.rows[4].values["Amount"] == Formula("=1000*12")
    assert table.blank_rows == 2


def test_total_rows_and_notes_below_the_table_are_skipped_with_a_reason():
    table = read_table(sample("pledges_multisheet.xlsx"))

    reasons = {skipped.line: skipped.reason for skipped in table.skipped}
    assert reasons[14] == 'Total row ("Total") skipped.'
    assert "Provisional figure" in reasons[16]
    assert table.skipped[0].raw == [None, "Total", Formula("=SUM(C5:C13)")]


def test_it_picks_a_sheet_by_name_in_any_case_or_by_position():
    data = sample("pledges_multisheet.xlsx")

    by_name = read_table(data, sheet="promesses")
    by_position = read_table(data, sheet="3")

    assert by_name.sheet == by_position.sheet == "Promesses"
    assert by_name.headers[:4] == [
        "Donateur",
        "Montant",
        "Devise",
        "Date de la promesse",
    ]
    assert [row.values["Donateur"] for row in by_name.rows] == [
        "Côte d'Ivoire",
        "France (a)",
        "Sénégal",
        "Suisse",
    ]
    assert [skipped.reason for skipped in by_name.skipped][:2] == [
        'Total row ("Sous-total") skipped.',
        'Total row ("Total général") skipped.',
    ]


def test_an_unknown_sheet_lists_the_sheets():
    with pytest.raises(TableError, match=r'no sheet "Summary".*"Read me", "Pledges'):
        read_table(sample("pledges_multisheet.xlsx"), sheet="Summary")


def test_with_hints_the_first_sheet_matching_them_is_read():
    table = read_table(
        sample("pledges_multisheet.xlsx"),
        header_hints=["donateur", "montant", "devise", "date de la promesse"],
    )
    assert table.sheet == "Promesses"


def test_it_reads_windows_1252_with_semicolons():
    table = read_table(sample("donors_cp1252.csv"), filename="donors.csv")

    assert table.encoding == "cp1252"
    assert table.headers == ["Donateur", "Montant", "Devise", "Date de la promesse"]
    assert table.rows[0].values["Donateur"] == "Côte d'Ivoire"
    assert parse_amount(table.rows[0].values["Montant"]).amount == Decimal("1234567.50")
    assert table.skipped[0].line == 5


def test_it_reads_utf16_text_from_excel():
    table = read_table(sample("contacts_utf16.tsv"), filename="contacts.txt")

    assert table.encoding == "utf-16-le"
    assert table.headers == ["Name", "Organisation", "Role", "Email"]
    assert [row.values["Name"] for row in table.rows][1:4] == [
        "Олег Петров",
        "王芳",
        "فاطمة الزهراء",
    ]


def test_it_reads_utf16_without_a_bom():
    data = "Name\tEmail\r\nAmina\ta@example.org\r\n".encode("utf-16-le")
    table = read_table(data, filename="contacts.tsv")
    assert table.encoding == "utf-16-le"
    assert table.rows[0].values == {"Name": "Amina", "Email": "a@example.org"}


def test_it_reads_utf16_big_endian():
    data = codecs.BOM_UTF16_BE + "Name,Email\nAmina,a@x.org\n".encode("utf-16-be")
    assert read_table(data).rows[0].values["Name"] == "Amina"


def test_it_repairs_mojibake_and_records_each_repair():
    table = read_table(sample("donors_mojibake_bom.csv"))

    assert table.encoding == "utf-8-sig"
    assert table.headers[0] == "Donor"
    assert table.rows[0].values["Donor"] == "Côte d'Ivoire"
    assert table.rows[0].raw[0] == "CÃ´te d'Ivoire"
    assert table.repairs[0] == (2, "Donor", "CÃ´te d'Ivoire", "Côte d'Ivoire")
    assert len(table.repairs) == 3


def test_headers_are_repaired_too():
    table = read_table("Donor,Montant reÃ§u\nJapan,1\n".encode())
    assert table.headers == ["Donor", "Montant reçu"]
    assert table.repairs == [(1, "Montant reçu", "Montant reÃ§u", "Montant reçu")]
    assert table.rows[0].values["Montant reçu"] == "1"


def test_it_reports_text_that_cannot_be_repaired():
    table = read_table(sample("donors_mojibake_bom.csv"))
    assert table.damaged == [(5, "Donor", "C\ufffdte d'Ivoire")]


def test_it_reads_an_fts_flow_export():
    table = read_table(sample("fts_flows.csv"), filename="fts.csv")

    assert len(table.rows) == 30
    assert len(table.headers) == 37
    assert table.headers[:4] == ["date", "budgetYear", "description", "amountUSD"]
    donors = {row.values["srcOrganization"] for row in table.rows}
    assert {"Luxembourg, Government of", "Korea, Republic of"} <= donors
    statuses = {row.values["status"] for row in table.rows}
    assert statuses == {"pledge", "commitment", "paid"}
    assert {row.values["contributionType"] for row in table.rows} == {
        "financial",
        "in kind",
    }
    usd = [row for row in table.rows if row.values["originalCurrency"] == ""]
    assert usd
    assert all(row.values["exchangeRate"] == "" for row in usd)
    multi = table.rows[3].values["destLocations"]
    assert multi == "Kenya,Uganda,United Republic of Tanzania,Rwanda"
    assert len({row.values["id"] for row in table.rows}) == 30


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "The file is empty"),
        ("image_renamed.csv", "PNG image, not a table"),
    ],
)
def test_bad_sample_files_get_a_clear_message(name, message):
    with pytest.raises(TableError, match=message):
        read_table(sample(name), filename=name)


SAMPLES = [
    "pledges_multisheet.xlsx",
    "donors_cp1252.csv",
    "contacts_utf16.tsv",
    "donors_mojibake_bom.csv",
    "fts_flows.csv",
    "empty.csv",
    "image_renamed.csv",
]


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_files_are_small(name):
    assert (DATA / name).stat().st_size < 100_000


# ---------------------------------------------------------------------------
# Formats and decoding


@pytest.mark.parametrize(
    "data",
    [b"", b"   \r\n\r\n", codecs.BOM_UTF8, codecs.BOM_UTF16_LE + b"\r\x00\n\x00"],
)
def test_an_empty_file_is_an_error(data):
    with pytest.raises(TableError, match="The file is empty"):
        read_table(data, filename="x.csv")


def test_binary_garbage_renamed_csv_is_an_error():
    data = bytes(range(256)) * 4
    with pytest.raises(TableError, match="binary file"):
        read_table(data, filename="data.csv")


@pytest.mark.parametrize(
    ("data", "kwargs", "message"),
    [
        (b"a,b\n1,2\n", {"format": "ods"}, 'Unknown format "ods"'),
        (b"a,b\n1,2\n", {"format": "xlsx"}, "not an Excel"),
        (b"a,b\n1,2\n", {"filename": "pledges.xlsx"}, "not an Excel"),
        (b"PK\x03\x04garbage", {}, "cannot be opened as an Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", {"filename": "a.xls"}, "old Excel"),
        (b"%PDF-1.7\n", {"filename": "a.csv"}, "PDF document"),
    ],
)
def test_wrong_formats_get_a_clear_message(data, kwargs, message):
    with pytest.raises(TableError, match=message):
        read_table(data, **kwargs)


def test_an_xlsx_renamed_csv_is_read_as_xlsx():
    data = xlsx(("Data", [["Donor", "Amount"], ["Japan", 10]]))
    assert read_table(data, filename="pledges.csv").rows[0].values["Amount"] == 10


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("Donor,Amount\nJapan,10\n", ","),
        ("Donor;Amount\nJapan;10,5\n", ";"),
        ("Donor\tAmount\nJapan\t10\n", "\t"),
        ("Donor|Amount\nJapan|10\n", "|"),
        ('Donor;Amount;Note\n"Korea, Republic of";1.000,50;"a, b"\n', ";"),
        ('Donor,Amount\n"Luxembourg, Government of","1,000"\n', ","),
    ],
)
def test_it_sniffs_the_delimiter(text, delimiter):
    table = read_table(text.encode(), filename="x.csv")
    assert len(table.headers) == text.splitlines()[0].count(delimiter) + 1
    assert table.rows[0].values[table.headers[0]] in {
        "Japan",
        "Korea, Republic of",
        "Luxembourg, Government of",
    }


def test_title_rows_do_not_confuse_the_delimiter_sniffer():
    text = (
        "Contributions 2024, provisional\n"
        "Status: 31.12.2024, amounts in CHF\n"
        "\n"
        "Donor;Amount;Currency\n"
        "Japan;1.000,50;CHF\n"
        "Germany;2.000,00;CHF\n"
        "Korea;3.000,00;CHF\n"
    )
    table = read_table(text.encode(), filename="x.csv")
    assert table.headers == ["Donor", "Amount", "Currency"]
    assert table.header_line == 4
    assert table.notes == [
        "Contributions 2024, provisional",
        "Status: 31.12.2024, amounts in CHF",
    ]
    assert table.rows[0].line == 5


def test_tsv_format_forces_tabs():
    table = read_table(b"a,b\tc\n1,2\t3\n", format="tsv")
    assert table.headers == ["a,b", "c"]


def test_line_numbers_are_the_lines_a_text_editor_shows():
    text = 'Donor,Note\nJapan,"two\nlines"\n\nKorea,x\r\n'
    table = read_table(text.encode())
    assert [row.line for row in table.rows] == [2, 5]
    assert table.blank_rows == 1


def test_trailing_blank_rows_are_not_counted():
    table = read_table(b"Donor,Amount\nJapan,1\n\n\n,\n")
    assert table.blank_rows == 0
    assert len(table.rows) == 1


# ---------------------------------------------------------------------------
# Header detection


def test_the_header_is_the_row_that_best_matches_the_hints():
    text = (
        "Amount received by donor, 2024\n"
        "Prepared by finance,on 2 January\n"
        "Donateur,Montant,Devise\n"
        "Japon,100,JPY\n"
    )
    table = read_table(text.encode(), header_hints=PLEDGE_HINTS)
    assert table.headers == ["Donateur", "Montant", "Devise"]
    assert table.header_line == 3


def test_without_hints_the_header_is_the_first_row_of_text_cells_before_data():
    text = "Pledges\n\nDonor,Amount\nJapan,100\n"
    table = read_table(text.encode())
    assert table.headers == ["Donor", "Amount"]
    assert table.notes == ["Pledges"]


def test_a_file_without_a_header_is_an_error():
    with pytest.raises(TableError, match="No header row found"):
        read_table(b"1,2,3\n4,5,6\n7,8,9\n")


def test_a_workbook_without_a_header_on_any_sheet_is_an_error():
    data = xlsx(("Numbers", [[1, 2], [3, 4]]), ("Notes", [["Only a note"]]))
    with pytest.raises(TableError, match="No header row found"):
        read_table(data)


def test_headers_are_made_unique_and_blank_ones_named():
    table = read_table(b"Amount,Donor,amount,,Amount\n1,Japan,2,3,4\n")
    assert table.headers == ["Amount", "Donor", "amount (2)", "Column 4", "Amount (3)"]
    assert table.rows[0].values["Amount (3)"] == "4"


def test_empty_trailing_columns_are_dropped():
    table = read_table(b"Donor,Amount,,,\nJapan,1,,,\nKorea,2,,,\n")
    assert table.headers == ["Donor", "Amount"]
    assert table.rows[0].values == {"Donor": "Japan", "Amount": "1"}


def test_values_beyond_the_header_are_kept_under_a_new_column():
    table = read_table(b"Donor,Amount\nBrazil,3\nJapan,1,surprise\nKorea,2\n")
    assert table.headers == ["Donor", "Amount", "Column 3"]
    brazil, japan, korea = (row.values for row in table.rows)
    assert japan["Column 3"] == "surprise"
    assert brazil == {"Donor": "Brazil", "Amount": "3", "Column 3": ""}
    assert korea == {"Donor": "Korea", "Amount": "2", "Column 3": ""}


def test_short_rows_are_padded():
    table = read_table(b"Donor,Amount,Currency\nJapan,1\n")
    assert table.rows[0].values == {"Donor": "Japan", "Amount": "1", "Currency": ""}
    assert table.rows[0].raw == ["Japan", "1"]


def test_repeated_header_rows_are_skipped_with_a_reason():
    table = read_table(b"Donor,Amount\nJapan,1\nDonor,Amount\nKorea,2\n")
    assert [row.values["Donor"] for row in table.rows] == ["Japan", "Korea"]
    assert table.skipped[0].reason == "Repeated header row skipped."


def test_a_donor_called_total_is_not_a_total_row():
    table = read_table(b"Donor,Amount,Currency\nTotal S.A.,1,EUR\nTotal,1,\n")
    assert [row.values["Donor"] for row in table.rows] == ["Total S.A."]
    assert table.skipped[0].line == 3


def test_text_values_are_stripped_but_raw_keeps_them():
    table = read_table(b"Donor,Amount\n  Japan ,1\n")
    assert table.rows[0].values["Donor"] == "Japan"
    assert table.rows[0].raw[0] == "  Japan "


# ---------------------------------------------------------------------------
# XLSX details


def test_xlsx_keeps_cell_types_and_marks_formulas():
    data = xlsx(
        (
            "Pledges",
            [
                ["Donor", "Amount", "Date", "Check"],
                ["Japan", 1234.5, datetime.date(2024, 3, 31), "=B2*2"],
                ["Korea", 10, "31.03.2024", None],
            ],
        )
    )
    table = read_table(data)
    first, second = (row.values for row in table.rows)
    assert first["Amount"] == 1234.5
    assert parse_date(first["Date"]) == datetime.date(2024, 3, 31)
    assert isinstance(first["Date"], datetime.datetime)
    assert isinstance(first["Check"], Formula)
    assert str(first["Check"]) == "=B2*2"
    assert second["Amount"] == 10
    assert second["Check"] is None


def test_xlsx_rows_keep_their_sheet_row_numbers():
    data = xlsx(
        ("S", [[], ["Title"], [], ["Donor", "Amount"], ["Japan", 1], [], ["Korea", 2]])
    )
    table = read_table(data)
    assert table.header_line == 4
    assert [row.line for row in table.rows] == [5, 7]


# ---------------------------------------------------------------------------
# Limits


def test_a_cell_longer_than_the_limit_names_row_and_column():
    text = "Donor,Notes\nJapan,ok\nKorea," + "x" * 2_000 + "\n"
    with pytest.raises(
        TableError, match=r'line 3, column 2 \("Notes"\): 2,000, above the limit'
    ):
        read_table(text.encode(), max_cell_chars=1_000)
    quoted = 'Donor,Notes\nJapan,ok\nKorea,"' + "x, " * 400 + '"\n'
    with pytest.raises(TableError, match=r'Row 3, column "Notes".*1,200 characters'):
        read_table(quoted.encode(), max_cell_chars=1_000)


def test_a_50_mb_cell_is_refused_with_a_clear_message():
    data = b"Donor,Notes\nJapan," + b"x" * 50_000_000 + b"\n"
    with pytest.raises(
        TableError, match=r'line 2, column 2 \("Notes"\): 50,000,000, above'
    ):
        read_table(data)


def test_a_long_cell_in_xlsx_names_row_and_column():
    data = xlsx(("S", [["Donor", "Notes"], ["Japan", "y" * 500]]))
    with pytest.raises(
        TableError, match=r"row 2, column B: 500, above the limit of 100"
    ):
        read_table(data, max_cell_chars=100)


def test_it_reads_many_rows():
    lines = ["Donor,Amount,Currency"] + [f"Donor {i},{i}.50,CHF" for i in range(20_000)]
    table = read_table("\n".join(lines).encode())
    assert len(table.rows) == 20_000
    assert table.rows[-1].line == 20_001


# ---------------------------------------------------------------------------
# Fuzz


@given(st.binary(max_size=2_000))
@example(b"PK\x03\x04" + b"\x00" * 100)
@example(b"\xff\xfe\x00\xd8")
@example(b'"unclosed,quote\n1,2')
@example(b"a\x00b\x00")
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_read_table_raises_only_table_error_on_arbitrary_bytes(data):
    try:
        table = read_table(data, filename="fuzz.csv")
    except TableError:
        return
    assert all(isinstance(row.line, int) for row in table.rows)


@given(
    st.lists(
        st.lists(st.text(max_size=20), min_size=1, max_size=5), min_size=1, max_size=20
    ),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_read_table_raises_only_table_error_on_arbitrary_tables(rows, sep, encoding):
    import csv

    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep).writerows(rows)
    try:
        data = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:
        return
    try:
        read_table(data, filename="fuzz.csv", header_hints=["donor", "amount"])
    except TableError:
        return


# ---------------------------------------------------------------------------
# Matching headers to fields

SYNONYMS = {
    "partner": ["Donor", "Donateur", "Partner", "Organisation", "Organization"],
    "amount": ["Amount", "Montant"],
    "currency": ["Currency", "Devise"],
    "pledged_on": ["Pledge date", "Date de la promesse", "Date"],
    "reference": ["Reference", "External id"],
}


def test_it_matches_headers_to_fields_ignoring_case_accents_and_punctuation():
    result = match_headers(
        ["DONATEUR", "Montant", "devise", "Date de la Promesse", "Remarque"], SYNONYMS
    )
    assert result.columns == {
        "partner": "DONATEUR",
        "amount": "Montant",
        "currency": "devise",
        "pledged_on": "Date de la Promesse",
    }
    assert result.unknown == ["Remarque"]
    assert result.missing == ["reference"]


def test_a_header_containing_a_synonym_as_whole_words_matches():
    result = match_headers(["Donor name", "Amount (CHF)", "Currency code"], SYNONYMS)
    assert result.columns == {
        "partner": "Donor name",
        "amount": "Amount (CHF)",
        "currency": "Currency code",
    }


def test_exact_matches_win_over_containment():
    result = match_headers(["Amount (USD)", "Amount", "Date received"], SYNONYMS)
    assert result.columns["amount"] == "Amount"
    assert result.columns["pledged_on"] == "Date received"
    assert result.unknown == ["Amount (USD)"]


def test_containment_is_by_whole_words_only():
    result = match_headers(["Amounts", "Datee"], SYNONYMS)
    assert "amount" not in result.columns
    assert result.unknown == ["Amounts", "Datee"]


def test_each_header_serves_one_field():
    result = match_headers(["Date"], {"pledged_on": ["Date"], "paid_on": ["Date"]})
    assert result.columns == {"pledged_on": "Date"}
    assert result.missing == ["paid_on"]


def test_camel_case_headers_of_fts_exports_match_their_words():
    result = match_headers(
        ["srcOrganization", "amountUSD", "originalCurrency"],
        {"partner": ["src organization"], "currency": ["original currency"]},
    )
    assert result.columns == {
        "partner": "srcOrganization",
        "currency": "originalCurrency",
    }
    assert result.unknown == ["amountUSD"]


def test_field_names_match_themselves():
    result = match_headers(["Reference"], {"reference": []})
    assert result.columns == {"reference": "Reference"}


# ---------------------------------------------------------------------------
# The calamine reader reads what openpyxl reads


def _both_readers(data: bytes) -> tuple[list, list]:
    """The rows the calamine reader gives and those openpyxl gives."""
    from python_calamine import CalamineWorkbook

    from crm.lib import tabular
    from crm.lib.xlsx_guard import inspect_xlsx

    def normal(records):
        rows = []
        for line, cells in records:
            cells = ["formula" if isinstance(c, Formula) else c for c in cells]
            while cells and cells[-1] is None:
                cells.pop()
            rows.append((line, cells))
        while rows and not rows[-1][1]:
            rows.pop()
        return [row for row in rows if row[1]]

    def reference(sheet):
        sheet.reset_dimensions()
        for line, cells in enumerate(sheet.iter_rows(), start=1):
            yield (
                line,
                [
                    Formula(str(c.value)) if c.data_type == "f" else c.value
                    for c in cells
                ],
            )

    scan = inspect_xlsx(data)
    calamine = CalamineWorkbook.from_filelike(io.BytesIO(data))
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        fast, expected = [], []
        for name in workbook.sheetnames:
            sheet = calamine.get_sheet_by_name(name)
            found = scan.sheets[name]
            records = tabular._xlsx_records(sheet, found.formulas, found.errors)
            fast.append(normal(records))
            expected.append(normal(reference(workbook[name])))
        return fast, expected
    finally:
        workbook.close()
        calamine.close()


def test_the_calamine_reader_matches_openpyxl_on_the_sample_workbook():
    fast, reference = _both_readers(sample("pledges_multisheet.xlsx"))
    assert fast == reference


_CELLS = st.one_of(
    st.none(),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=15
    ).filter(lambda text: not text.startswith("=")),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2100, 1, 1)),
    st.sampled_from(["=1+1", "=SUM(A1:A2)", '=CONCAT("a","b")']),
)


@given(
    st.lists(st.lists(_CELLS, max_size=6), max_size=12),
    st.booleans(),
)
@settings(max_examples=60, deadline=None)
def test_the_calamine_reader_matches_openpyxl_on_random_workbooks(rows, write_only):
    workbook = openpyxl.Workbook(write_only=write_only)
    sheet = workbook.create_sheet("Data") if write_only else workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    fast, reference = _both_readers(buffer.getvalue())
    assert fast == reference


def _with_sheet_xml(xml: str) -> bytes:
    """A workbook whose first sheet is ``xml``, as other spreadsheet programs
    write it (namespace prefixes, rich text, shared formulas, no references)."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(xlsx(("Sheet", [["x"]]))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = xml.encode()
            target.writestr(info.filename, content)
    return out.getvalue()


def test_the_calamine_reader_matches_openpyxl_on_hand_written_sheet_xml():
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main"><x:sheetData>'
        '<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>Donor</x:t></x:is></x:c>'
        '<x:c r="C2" t="inlineStr"><x:is><x:r><x:t>Amo</x:t></x:r><x:r><x:t>unt</x:t>'
        '</x:r><x:rPh sb="0" eb="1"><x:t>phonetic</x:t></x:rPh></x:is></x:c></x:row>'
        '<x:row r="3"><x:c t="inlineStr"><x:is><x:t xml:space="preserve"> Japan '
        "</x:t></x:is></x:c><x:c/><x:c><x:v>1.5E3</x:v></x:c></x:row>"
        '<x:row r="6"><x:c r="A6" t="b"><x:v>1</x:v></x:c><x:c r="B6" t="e">'
        '<x:v>#N/A</x:v></x:c><x:c r="C6"><x:f t="shared" ref="C6:C7" si="0">A1*2'
        '</x:f><x:v>4</x:v></x:c><x:c r="D6" t="str"><x:v>cached</x:v></x:c></x:row>'
        '<x:row r="7"><x:c r="C7"><x:f t="shared" si="0"/><x:v>6</x:v></x:c>'
        '<x:c r="AB7"><x:v>42</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    fast, reference = _both_readers(_with_sheet_xml(xml))
    assert fast == reference
    table = read_table(_with_sheet_xml(xml))
    assert table.headers[:3] == ["Donor", "Column 2", "Amount"]
    assert table.rows[0].values["Donor"] == "Japan"
    assert table.rows[0].values["Amount"] == 1500.0
    assert table.rows[1].values["Amount"] == Formula("=A1*2")
    assert table.rows[2].values["Amount"] == Formula("=A1*2")
    assert table.rows[2].values["Column 28"] == 42
    assert [row.line for row in table.rows] == [3, 6, 7]
