"""Load fictitious demo data on top of the reference data.

Each installed app may ship a ``demo`` module with a function
``seed(*, rng: random.Random, today: datetime.date, stdout)``; the command
calls them in ``INSTALLED_APPS`` order, inside one transaction, so a failing
app leaves the database as it was. Each app gets its own random generator
derived from ``--seed`` and its label, so adding an app's demo data does not
change another app's.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import random
from collections.abc import Callable, Iterator
from io import StringIO

from django.apps import AppConfig, apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from crm.models import Country

SeedFunction = Callable[..., None]


def demo_seeders() -> Iterator[tuple[AppConfig, SeedFunction]]:
    """(app, seed function) for each installed app with a ``demo.seed``."""
    for app_config in apps.get_app_configs():
        module_name = f"{app_config.name}.demo"
        try:
            found = importlib.util.find_spec(module_name)
        except ModuleNotFoundError:
            found = None
        if found is None:
            continue
        # Import errors inside an existing demo module are real bugs: let them out.
        module = importlib.import_module(module_name)
        seed = getattr(module, "seed", None)
        if callable(seed):
            yield app_config, seed


def check_reference_data() -> None:
    Partner = apps.get_model("partners", "Partner")
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
        "Load fictitious but realistic demo data (each app's demo.seed) on top of "
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
        seeders = list(demo_seeders())
        if not seeders:
            raise CommandError("No installed app has a demo module with seed().")
        with transaction.atomic():
            for app_config, seed_function in seeders:
                self.stdout.write(f"{app_config.verbose_name} ({app_config.label}):")
                seed_function(
                    rng=random.Random(f"{seed}:{app_config.label}"),
                    today=today,
                    stdout=self.stdout,
                )
            # The seeders write in bulk, without history: give every audited
            # record its first version, so its History page is not empty.
            call_command("populate_history", auto=True, stdout=StringIO())
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded (seed {seed})."))
