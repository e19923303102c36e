"""The admin's model permissions, and read-only tokens."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from api.models import ApiToken


class ModelPermissions(permissions.DjangoModelPermissions):
    """The Django model permissions the admin checks, reading included.

    Listing or reading a record needs ``view_<model>`` (the admin lets
    ``change_<model>`` read too, and so does this).
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if getattr(view, "_ignore_model_permissions", False):
            return True
        if request.method in ("GET", "HEAD"):
            queryset = self._queryset(view)
            opts = queryset.model._meta
            return request.user.has_perm(
                f"{opts.app_label}.view_{opts.model_name}"
            ) or request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
        return super().has_permission(request, view)


class TokenScope(permissions.BasePermission):
    """A read-only token reads; writing needs a read-write token."""

    message = _("This API token is read-only: create a read-write token to write.")

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and not token.can_write:
            return request.method in permissions.SAFE_METHODS
        return True
