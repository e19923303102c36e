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
        from django.contrib.auth.models import Group

        from crm import admin_confidential  # noqa: F401
        from crm.roles import role_name

        # Groups named in the reader's language wherever they are listed
        # (user forms and filters, the group list), never renamed.
        Group.__str__ = lambda group: role_name(group.name)
