"""Who may see confidential engagements: granted by superusers only, and logged.

A user sees confidential engagements when they are a superuser, hold the
permission themselves, or belong to a group that holds it. Changing any of
the three is a grant or a withdrawal: only a superuser may make it
(``confidential_access_check``), and each one is written to the admin log
of the user (and of the group, for a group's permissions) and to the
``accounts.security`` logger (``confidential_access_record``). The admin
forms of users and groups call these; so must any other way of changing them.

A user who is not a superuser may not edit a superuser either
(``user_may_edit``): that would let them act as one (set their password,
reset their two-factor sign-in).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.roles import CONFIDENTIAL_PERMISSION

logger = logging.getLogger("accounts.security")


@dataclass(frozen=True)
class ConfidentialAccess:
    """Where a user's access to confidential engagements comes from."""

    superuser: bool = False
    direct: bool = False
    groups: frozenset[str] = frozenset()

    @property
    def granted(self) -> bool:
        return self.superuser or self.direct or bool(self.groups)

    def describe(self) -> str:
        sources = []
        if self.superuser:
            sources.append(_("superuser"))
        if self.direct:
            sources.append(_("own permission"))
        sources.extend(
            _("group “%(group)s”") % {"group": name} for name in sorted(self.groups)
        )
        return ", ".join(sources) if sources else _("none")


def confidential_permission() -> Permission:
    app_label, codename = CONFIDENTIAL_PERMISSION.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _is_confidential(permission: Permission) -> bool:
    return (
        f"{permission.content_type.app_label}.{permission.codename}"
        == CONFIDENTIAL_PERMISSION
    )


def confidential_access(
    *, superuser: bool, permissions: Iterable[Permission], groups: Iterable[Group]
) -> ConfidentialAccess:
    """The access a user would have with these flags, permissions and groups."""
    permission = confidential_permission()
    return ConfidentialAccess(
        superuser=superuser,
        direct=any(p.pk == permission.pk for p in permissions),
        groups=frozenset(
            Group.objects.filter(
                pk__in=[g.pk for g in groups], permissions=permission
            ).values_list("name", flat=True)
        ),
    )


def confidential_access_of(user) -> ConfidentialAccess:
    """The access ``user`` has now, as stored."""
    if user.pk is None:
        return ConfidentialAccess()
    return confidential_access(
        superuser=user.is_superuser,
        permissions=user.user_permissions.all(),
        groups=user.groups.all(),
    )


def user_may_edit(*, actor, user) -> bool:
    """Only a superuser edits a superuser."""
    return actor.is_superuser or not user.is_superuser


def users_editable_by(*, actor, users):
    """The users of the queryset ``users`` that ``actor`` may edit."""
    return users if actor.is_superuser else users.filter(is_superuser=False)


def confidential_access_check(
    *, actor, before: ConfidentialAccess, after: ConfidentialAccess
) -> None:
    """Refuse a change of confidential access made by someone not a superuser."""
    if actor.is_superuser or before == after:
        return
    if before.superuser != after.superuser:
        raise ValidationError(
            {"is_superuser": _("Only a superuser may make or unmake a superuser.")}
        )
    field = "user_permissions" if before.direct != after.direct else "groups"
    raise ValidationError(
        {
            field: _(
                "Only a superuser may grant or withdraw the permission to see "
                "confidential engagements (directly or through a group)."
            )
        }
    )


def group_permissions_check(
    *, actor, group: Group, permissions: Iterable[Permission]
) -> None:
    """Refuse adding or removing the confidential permission by a non-superuser."""
    if actor.is_superuser:
        return
    if group_grants_confidential(group) != any(map(_is_confidential, permissions)):
        raise ValidationError(
            {
                "permissions": _(
                    "Only a superuser may add the permission to see confidential "
                    "engagements to a group, or remove it."
                )
            }
        )


def _log(*, actor, obj, message: str) -> None:
    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[obj],
        action_flag=CHANGE,
        change_message=message,
        single_object=True,
    )


@transaction.atomic
def confidential_access_record(
    *, actor, user, before: ConfidentialAccess, after: ConfidentialAccess
) -> None:
    """Log a change of ``user``'s access to confidential engagements, if any."""
    if before == after:
        return
    if after.granted and not before.granted:
        text = _(
            "Granted access to confidential engagements (was: %(before)s; "
            "now: %(after)s)."
        )
    elif before.granted and not after.granted:
        text = _(
            "Withdrew access to confidential engagements (was: %(before)s; "
            "now: %(after)s)."
        )
    else:
        text = _(
            "Changed where access to confidential engagements comes from (was: "
            "%(before)s; now: %(after)s)."
        )
    message = text % {"before": before.describe(), "after": after.describe()}
    _log(actor=actor, obj=user, message=message)
    logger.warning(
        "confidential access of %s changed by %s: %s -> %s",
        user.get_username(),
        actor.get_username(),
        before.describe(),
        after.describe(),
    )


@transaction.atomic
def group_access_record(*, actor, group: Group, before: bool, after: bool) -> None:
    """Log adding or removing the confidential permission on ``group``."""
    if before == after:
        return
    members = list(group.user_set.order_by("username"))
    message = (
        _("Added the permission to see confidential engagements.")
        if after
        else _("Removed the permission to see confidential engagements.")
    )
    _log(actor=actor, obj=group, message=message)
    for member in members:
        _log(
            actor=actor,
            obj=member,
            message=_("%(change)s (through group “%(group)s”)")
            % {"change": message, "group": group.name},
        )
    logger.warning(
        "confidential permission %s group %s by %s (members: %s)",
        "added to" if after else "removed from",
        group.name,
        actor.get_username(),
        ", ".join(m.get_username() for m in members) or "none",
    )


def group_grants_confidential(group: Group) -> bool:
    return (
        group.pk is not None
        and group.permissions.filter(pk=confidential_permission().pk).exists()
    )
