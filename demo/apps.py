from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data (``seed_demo``, ``demo_user``): depends on every product app,
    and no product app imports it."""

    name = "demo"
    verbose_name = _("Demo data")
