from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Sign-in security: failed-login lockout and two-factor sign-in."""

    name = "accounts"
    verbose_name = _("Sign-in security")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts import twofactor

        user_logged_in.connect(
            twofactor.remember_state_at_login, dispatch_uid="accounts-2fa-state"
        )


class SignInRecordsConfig(AxesAppConfig):
    """django-axes, under a name the task force recognises in the admin."""

    verbose_name = _("Sign-in records")
