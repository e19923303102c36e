from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from partners.management.commands._merging import acting_user, refused
from partners.merge import partner_merge
from partners.models import Partner


class Command(BaseCommand):
    help = (
        "Merge partners into the first one given: everything pointing at the "
        "others moves to it, their names become its aliases. Undo with undo_merge."
    )
    model = Partner

    def add_arguments(self, parser) -> None:
        parser.add_argument("survivor", type=int, help="id of the record to keep")
        parser.add_argument("others", type=int, nargs="+", help="ids merged into it")
        parser.add_argument("--user", help="username recorded as the one merging")

    def merge(self, **kwargs):
        return partner_merge(**kwargs)

    def handle(self, *args, **options) -> None:
        records = self.model.objects.in_bulk([options["survivor"], *options["others"]])
        missing = {options["survivor"], *options["others"]} - set(records)
        if missing:
            raise CommandError(f"No {self.model._meta.verbose_name} {sorted(missing)}.")
        try:
            log = self.merge(
                survivor=records[options["survivor"]],
                others=[records[pk] for pk in options["others"]],
                user=acting_user(options["user"]),
            )
        except ValidationError as error:
            raise refused(error) from error
        self.stdout.write(f"{log.summary} (merge {log.pk})")
