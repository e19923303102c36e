from django.core.management.base import BaseCommand

from partners.duplicates import contact_duplicates, partner_duplicates
from partners.models import Contact, Partner


class Command(BaseCommand):
    help = "List possible duplicate partners or contacts, best first, with reasons."

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", choices=["partners", "contacts"])
        parser.add_argument("--limit", type=int, default=50)

    def handle(self, *args, **options) -> None:
        partners = options["kind"] == "partners"
        pairs = partner_duplicates() if partners else contact_duplicates()
        shown = pairs[: options["limit"]]
        model = Partner if partners else Contact
        names = model.objects.in_bulk({p.low for p in shown} | {p.high for p in shown})
        for pair in shown:
            self.stdout.write(
                f"{pair.score:3d}  {pair.low}: {names[pair.low]}  |  "
                f"{pair.high}: {names[pair.high]}  ({'; '.join(pair.reasons)})"
            )
        self.stdout.write(f"Possible duplicate pairs: {len(pairs)}")
