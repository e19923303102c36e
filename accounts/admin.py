"""The user list learns about sign-in security.

Two columns (two-factor on, sign-in paused) and two actions for
administrators: reset a user's two-factor sign-in (lost phone) and lift a
sign-in pause. The device admin pages of django-otp are removed: they would
show secret keys and let anyone with access link a device to another user.
"""

from __future__ import annotations

# Imported first so the registrations below replace theirs whatever the order
# of INSTALLED_APPS.
import django.contrib.auth.admin as auth_admin
import django_otp.plugins.otp_static.admin
import django_otp.plugins.otp_totp.admin  # noqa: F401
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from crm.admin_confidential import ConfidentialDeleteMixin

User = get_user_model()

for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


def locked_attempts():
    """Axes records that currently refuse sign-in."""
    return AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
    )


class UserAdmin(ConfidentialDeleteMixin, auth_admin.UserAdmin):
    list_display = [
        *auth_admin.UserAdmin.list_display,
        "two_factor",
        "sign_in_paused",
        "last_login",
    ]
    actions = ["reset_two_factor", "lift_sign_in_pause"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                has_two_factor=Exists(
                    TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
                ),
                sign_in_is_paused=Exists(
                    locked_attempts().filter(username=OuterRef("username"))
                ),
            )
        )

    @admin.display(description=_("two-factor"), boolean=True, ordering="has_two_factor")
    def two_factor(self, obj) -> bool:
        return obj.has_two_factor

    @admin.display(description=_("sign-in paused"), boolean=True)
    def sign_in_paused(self, obj) -> bool:
        return obj.sign_in_is_paused

    @admin.action(
        description=_("Reset two-factor sign-in (lost phone)"),
        permissions=["change"],
    )
    def reset_two_factor(self, request, queryset):
        count = 0
        for user in queryset:
            if twofactor.remove_devices(user):
                count += 1
                self.log_change(
                    request, user, [{"changed": {"fields": ["two-factor sign-in"]}}]
                )
        self.message_user(
            request,
            ngettext(
                "Two-factor sign-in reset for %(count)d user: they set it up "
                "again at their next sign-in if it is required, or when they "
                "choose.",
                "Two-factor sign-in reset for %(count)d users: they set it up "
                "again at their next sign-in if it is required, or when they "
                "choose.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Lift sign-in pause"), permissions=["change"])
    def lift_sign_in_pause(self, request, queryset):
        usernames = list(queryset.values_list("username", flat=True))
        lifted = sum(axes_reset(username=name) for name in usernames)
        self.message_user(
            request,
            ngettext(
                "%(count)d failed-attempt record cleared; those users can "
                "sign in again.",
                "%(count)d failed-attempt records cleared; those users can "
                "sign in again.",
                lifted,
            )
            % {"count": lifted},
            messages.SUCCESS,
        )


admin.site.unregister(User)
admin.site.register(User, UserAdmin)
