from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from partners.management.commands._merging import acting_user, refused
from partners.merge import merge_undo
from partners.models import MergeLog


class Command(BaseCommand):
    help = (
        "Undo a merge from the merge log, while nothing it touched has changed "
        "since; otherwise list what changed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("merge", type=int, help="id in the merge log")
        parser.add_argument("--user", help="username recorded as the one undoing")

    def handle(self, *args, **options) -> None:
        log = MergeLog.objects.filter(pk=options["merge"]).first()
        if log is None:
            raise CommandError(f"No merge {options['merge']} in the merge log.")
        try:
            merge_undo(log=log, user=acting_user(options["user"]))
        except ValidationError as error:
            raise refused(error) from error
        self.stdout.write(f"Undone: {log.summary} (merge {log.pk})")
