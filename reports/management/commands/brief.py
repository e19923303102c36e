"""Print a partner brief, a country brief or a meeting pack to a PDF file."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from reports.briefs.data import BriefRequest
from reports.briefs.printing import brief_print
from reports.models import PrintLog


class Command(BaseCommand):
    help = (
        "Print a brief to a PDF: --partner ID..., --contact ID, --country ISO3 or "
        "--meeting ID... . Without --user, engagements marked confidential are "
        "left out; with it, that user's permissions decide and the print is "
        "logged under their name."
    )

    def add_arguments(self, parser) -> None:
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument(
            "--partner", type=int, nargs="+", metavar="ID", help="partner ids"
        )
        what.add_argument("--contact", type=int, metavar="ID", help="a contact id")
        what.add_argument("--country", metavar="ISO3", help="a country's ISO code")
        what.add_argument(
            "--meeting", type=int, nargs="+", metavar="ID", help="meeting ids"
        )
        parser.add_argument(
            "--lang",
            default=settings.LANGUAGE_CODE,
            choices=[code for code, _name in settings.LANGUAGES],
            help="language of labels and dates (default: %(default)s)",
        )
        parser.add_argument(
            "--user", metavar="USERNAME", help="print as this user (permissions, log)"
        )
        parser.add_argument(
            "-o", "--output", required=True, metavar="FILE.pdf", help="where to write"
        )

    def handle(self, *args, **options) -> None:
        lang = options["lang"]
        if options["partner"]:
            request = BriefRequest.for_partners(options["partner"], lang)
        elif options["contact"]:
            request = BriefRequest.for_contact(options["contact"], lang)
        elif options["country"]:
            request = BriefRequest.for_country(options["country"], lang)
        else:
            request = BriefRequest.for_meetings(options["meeting"], lang)
        user = AnonymousUser()
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user named {options['user']!r}.")
        try:
            _filename, _type, content = brief_print(
                request=request, user=user, via=PrintLog.Via.COMMAND
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        output = Path(options["output"])
        output.write_bytes(content)
        log = PrintLog.objects.order_by("-pk").first()
        pages = log.pages if log else "?"
        self.stdout.write(
            self.style.SUCCESS(f"Wrote {output} ({pages} pages, {len(content)} bytes).")
        )
