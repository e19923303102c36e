"""The file formats of the lists' *Export* (django-import-export).

CSV, XLSX and TSV only, each written by ``crm.lib.spreadsheets`` so a list
export follows the same rule as every other download: text that a spreadsheet
would run as a formula is neutralised (CSV/TSV) or kept a string (XLSX).
django-import-export's own formats write cells raw through tablib.
"""

from __future__ import annotations

from import_export.formats.base_formats import Format

from crm.lib import spreadsheets


class SpreadsheetFormat(Format):
    """An export format that hands a tablib ``Dataset`` to the writer."""

    title = ""
    extension = ""
    content_type = ""
    # XLSX keeps numbers and dates as such; CSV and TSV take the columns'
    # text, which the importer reads back ("already up to date").
    native_types = False

    def get_title(self) -> str:
        return self.title

    def get_extension(self) -> str:
        return self.extension

    def get_content_type(self) -> str:
        return self.content_type

    def can_export(self) -> bool:
        return True

    def export_data(self, dataset, **kwargs) -> bytes:
        return self.write(list(dataset.headers or []), list(dataset))

    def write(self, header: list, rows: list) -> bytes:
        raise NotImplementedError


class CSVFormat(SpreadsheetFormat):
    title = "csv"
    extension = "csv"
    content_type = spreadsheets.CSV_CONTENT_TYPE

    def write(self, header: list, rows: list) -> bytes:
        return spreadsheets.csv_bytes(header, rows)


class XLSXFormat(SpreadsheetFormat):
    title = "xlsx"
    extension = "xlsx"
    content_type = spreadsheets.XLSX_CONTENT_TYPE
    native_types = True

    def write(self, header: list, rows: list) -> bytes:
        return spreadsheets.xlsx_bytes(
            [spreadsheets.Sheet(title="Export", header=header, rows=rows)]
        )


class TSVFormat(SpreadsheetFormat):
    title = "tsv"
    extension = "tsv"
    content_type = spreadsheets.TSV_CONTENT_TYPE

    def write(self, header: list, rows: list) -> bytes:
        return spreadsheets.tsv_bytes(header, rows)


EXPORT_FORMATS = [CSVFormat, XLSXFormat, TSVFormat]
