"""Create or reset the local demo superuser; refused when DEBUG is off."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

USERNAME = "demo"
# Fixed and printed on purpose: the command refuses to run with DEBUG off.
PASSWORD = "demo-partner-crm"


class Command(BaseCommand):
    help = (
        f'Create or reset the superuser "{USERNAME}" with the documented password '
        f'"{PASSWORD}" for local use. Refused when DEBUG is off.'
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the server runs, for the printed login URL.",
        )

    def handle(self, *args, base_url: str = "http://127.0.0.1:8000", **options):
        if not settings.DEBUG:
            raise CommandError(
                "demo_user creates a superuser with a published password; it runs "
                "only with DEBUG on (local development). Use createsuperuser."
            )
        User = get_user_model()
        with transaction.atomic():
            user, created = User.objects.get_or_create(
                **{User.USERNAME_FIELD: USERNAME},
                defaults={"email": "demo@example.org", "first_name": "Demo"},
            )
            user.is_staff = user.is_superuser = user.is_active = True
            user.set_password(PASSWORD)
            user.save()
        login_url = base_url.rstrip("/") + reverse("admin:index")
        self.stdout.write(
            f"{'Created' if created else 'Reset'} the demo superuser.\n"
            f"  Log in at {login_url}\n"
            f"  username: {USERNAME}\n"
            f"  password: {PASSWORD}"
        )
