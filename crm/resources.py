"""What the Exchange rates list's *Export* writes (django-import-export).

Its columns are the ones the exchange-rate importer (``crm/importers.py``)
reads, so an exported file imports back as "already up to date".
"""

from __future__ import annotations

from import_export import resources

from crm.models import ExchangeRate


class ExchangeRateResource(resources.ModelResource):
    class Meta:
        model = ExchangeRate
        fields = ("currency", "effective_date", "units_per_usd", "source")
        export_order = fields
