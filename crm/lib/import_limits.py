"""What an imported file may hold: rows, columns, cells, text, expanded size.

The limits come from the ``IMPORT_MAX_*`` settings (README "Hostile files")
and are checked before a file is expanded, so a small file that would grow
into gigabytes (a cell addressed far to the right, a zip bomb, nested XML
entities) is refused in bounded time and memory. A refusal is a
``LimitExceeded``: a ``TableError`` whose message names the limit, its setting
and the value found.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from crm.lib.formats import format_number
from crm.lib.tabular import TableError

# Parts of an XLSX (sheets, styles, strings...): a workbook has a few dozen.
MAX_ZIP_ENTRIES = 10_000


class LimitExceeded(TableError):
    """A file holds more than an import limit allows; nothing was read."""


@dataclass(frozen=True)
class ImportLimits:
    max_rows: int = 250_000
    max_columns: int = 256
    max_cells: int = 5_000_000
    max_cell_chars: int = 100_000
    max_uncompressed_bytes: int = 300 * 2**20
    max_compression_ratio: int = 100

    @classmethod
    def from_settings(cls) -> ImportLimits:
        return cls(
            max_rows=settings.IMPORT_MAX_ROWS,
            max_columns=settings.IMPORT_MAX_COLUMNS,
            max_cells=settings.IMPORT_MAX_CELLS,
            max_cell_chars=settings.IMPORT_MAX_CELL_CHARS,
            max_uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_MB * 2**20,
            max_compression_ratio=settings.IMPORT_MAX_COMPRESSION_RATIO,
        )


def refuse(what: str, found: object, limit: object, setting: str = "") -> LimitExceeded:
    """The refusal of a file: ``what`` was measured, the value found, the limit."""
    values = {
        "what": what,
        "found": _number(found),
        "limit": _number(limit),
        "setting": setting,
    }
    if setting:
        text = _(
            "The file was refused: %(what)s: %(found)s, above the limit of "
            "%(limit)s (setting %(setting)s). Nothing was imported."
        )
    else:
        text = _(
            "The file was refused: %(what)s: %(found)s, above the limit of "
            "%(limit)s. Nothing was imported."
        )
    return LimitExceeded(text % values)


def _number(value: object) -> str:
    return format_number(value) if isinstance(value, int) else str(value)
