from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "outreach"
    verbose_name = _("Reminders and calendars")

    def ready(self) -> None:
        from outreach import middleware  # noqa: F401  (the sign-in signal)
