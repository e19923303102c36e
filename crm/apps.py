from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class CRMAdminConfig(AdminConfig):
    """The admin, with the task force's start page as its index."""

    default_site = "crm.admin_site.CRMAdminSite"


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Reference data")

    def ready(self) -> None:
        # Registers the system check on confidential delete confirmations.
        from crm import admin_confidential  # noqa: F401
