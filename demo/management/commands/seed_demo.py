"""Load fictitious demo data on top of the reference data.

The demo app's seeders run in the order of the apps they fill (partners,
pledges, reports), inside one transaction, so a failing seeder leaves the
database as it was. Each gets its own random generator derived from ``--seed``
and the label of the app it fills, so that changing one app's demo data does
not change another's.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from io import StringIO

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from crm.models import Country
from demo import meetings, partners, pledges
from demo.catalogue import DemoDataError
from partners.models import Partner

# (label of the app filled, seed function), in the order they run.
SEEDERS: list[tuple[str, Callable[..., None]]] = [
    ("partners", partners.seed),
    ("pledges", pledges.seed),
    ("reports", meetings.seed),
]


def check_reference_data() -> None:
    if (
        not Country.objects.filter(is_itu_member_state=True).exists()
        or not Partner.objects.filter(code__startswith="GOV-").exists()
    ):
        raise CommandError(
            "No reference data: run `python manage.py seed_reference` first "
            "(the demo data builds on the Member States and their government "
            "partners)."
        )


class Command(BaseCommand):
    help = (
        "Load fictitious but realistic demo data (the demo app's seeders) on top of "
        "seed_reference. Deterministic for a seed and a date; a re-run creates "
        "nothing new."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (default 1)."
        )
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="Date the demo history leads up to (YYYY-MM-DD; default today).",
        )

    def handle(self, *args, seed: int = 1, today: dt.date | None = None, **options):
        check_reference_data()
        today = today or timezone.localdate()
        try:
            with transaction.atomic():
                for label, seed_function in SEEDERS:
                    app_config = apps.get_app_config(label)
                    self.stdout.write(f"{app_config.verbose_name} ({label}):")
                    seed_function(
                        rng=random.Random(f"{seed}:{label}"),
                        today=today,
                        stdout=self.stdout,
                    )
                # The seeders write in bulk, without history: give every audited
                # record its first version, so its History page is not empty.
                call_command("populate_history", auto=True, stdout=StringIO())
        except DemoDataError as error:
            raise CommandError(f"Demo data not loaded: {error}") from error
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded (seed {seed})."))
