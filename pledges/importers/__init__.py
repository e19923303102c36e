"""Importable pledges, payments and OCHA FTS flow exports.

Payments go one by one through ``pledges.services``, which restages the
pledge they pay; FTS corrections go through the same services.
"""

from pledges.importers import fts, payments, pledges  # noqa: F401 (registers them)
