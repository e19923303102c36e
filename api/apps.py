from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The REST API for the organisation's other systems, and its tokens."""

    name = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from simple_history.signals import pre_create_historical_record

        from api import history, schema  # noqa: F401 (registers the scheme)

        pre_create_historical_record.connect(
            history.name_the_token, dispatch_uid="api-history-token"
        )
