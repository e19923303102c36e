"""Undo an import batch: ``manage.py undo_import BATCH_ID [--user NAME]``."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from crm.imports.undo import import_batch_undo
from crm.models import ImportBatch


class Command(BaseCommand):
    help = (
        "Undo an import: delete what the batch created and restore what it "
        "updated, unless records changed since."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("batch_id", type=int)
        parser.add_argument(
            "--user", help="Username recorded as undoing it (checked for the right)."
        )

    def handle(self, *args, batch_id: int, user: str | None = None, **options):
        batch = ImportBatch.objects.filter(pk=batch_id).first()
        if batch is None:
            raise CommandError(f"No import batch {batch_id}.")
        who = None
        if user:
            who = get_user_model().objects.filter(username=user).first()
            if who is None:
                raise CommandError(f"No user named {user!r}.")
        try:
            batch = import_batch_undo(batch, who)
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from error
        self.stdout.write(f"Import batch {batch.pk} ({batch.file_name}) undone.")
