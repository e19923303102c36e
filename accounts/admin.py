"""The user list learns about sign-in security.

Two columns (two-factor on, sign-in paused) and two actions for
administrators: reset a user's two-factor sign-in (lost phone) and lift a
sign-in pause. The device admin pages of django-otp are removed: they would
show secret keys and let anyone with access link a device to another user.

Access to confidential engagements is a superuser's to give (the rules and
the log are in ``accounts.services``): the user and group forms refuse a
change of it by anyone else, *Superuser status* is read-only for them, and
they cannot edit a superuser or a group that holds the permission.
"""

from __future__ import annotations

# Imported first so the registrations below replace theirs whatever the order
# of INSTALLED_APPS.
import axes.admin as axes_admin
import django.contrib.auth.admin as auth_admin
import django_otp.plugins.otp_static.admin
import django_otp.plugins.otp_totp.admin  # noqa: F401
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services, twofactor
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


class ConfidentialAccessFormMixin:
    """Refuse a change of confidential access unless ``actor`` is a superuser."""

    actor = None

    def clean(self):
        cleaned = super().clean()
        user = self.instance
        self.confidential_before = services.confidential_access_of(user)
        after = services.confidential_access(
            superuser=cleaned.get("is_superuser", user.is_superuser),
            permissions=cleaned.get("user_permissions", user.user_permissions.all()),
            groups=cleaned.get("groups", user.groups.all()),
        )
        try:
            services.confidential_access_check(
                actor=self.actor, before=self.confidential_before, after=after
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned


class GroupPermissionsFormMixin:
    """Refuse adding or removing the confidential permission unless a superuser."""

    actor = None

    def clean(self):
        cleaned = super().clean()
        self.confidential_before = services.group_grants_confidential(self.instance)
        if "permissions" in cleaned:
            try:
                services.group_permissions_check(
                    actor=self.actor,
                    group=self.instance,
                    permissions=cleaned["permissions"],
                )
            except ValidationError as error:
                self.add_error("permissions", error.messages)
        return cleaned


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

    def has_change_permission(self, request, obj=None):
        if obj is not None and not services.user_may_edit(actor=request.user, user=obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not services.user_may_edit(actor=request.user, user=obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        if services.users_editable_by(actor=request.user, users=queryset).count() != (
            queryset.count()
        ):
            raise PermissionDenied
        super().delete_queryset(request, queryset)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly.append("is_superuser")
        return readonly

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            return form
        return type(
            form.__name__, (ConfidentialAccessFormMixin, form), {"actor": request.user}
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(form, "confidential_before", None)
        if before is not None:
            services.confidential_access_record(
                actor=request.user,
                user=form.instance,
                before=before,
                after=services.confidential_access_of(form.instance),
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
        queryset = services.users_editable_by(actor=request.user, users=queryset)
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
        # Not an edit of the users: an administrator may lift a superuser's
        # pause (the superuser still needs their password and second factor).
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


class GroupAdmin(auth_admin.GroupAdmin):
    """Groups whose permissions include the confidential one: superusers only."""

    list_display = ["role"]

    @admin.display(description=_("name"), ordering="name")
    def role(self, obj: Group) -> str:
        return str(obj)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not self._may_grant(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not self._may_grant(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        if not all(self._may_grant(request, group) for group in queryset):
            raise PermissionDenied
        super().delete_queryset(request, queryset)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(
            form.__name__, (GroupPermissionsFormMixin, form), {"actor": request.user}
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.group_access_record(
            actor=request.user,
            group=form.instance,
            before=form.confidential_before,
            after=services.group_grants_confidential(form.instance),
        )

    @staticmethod
    def _may_grant(request, group) -> bool:
        return request.user.is_superuser or not services.group_grants_confidential(
            group
        )


admin.site.unregister(User)
admin.site.register(User, UserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, GroupAdmin)


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    """django-axes' list of failed sign-ins, its action declaring who may run it."""

    @admin.action(
        description=axes_admin.AccessAttemptAdmin.cleanup_expired_attempts.short_description,
        permissions=["delete"],
    )
    def cleanup_expired_attempts(self, request, queryset):
        # Deletes attempt records: for those who may delete them. axes reads
        # the time from attributes its middleware sets on sign-in requests only.
        AxesProxyHandler.update_request(request)
        return super().cleanup_expired_attempts(request, queryset)


admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, AccessAttemptAdmin)
