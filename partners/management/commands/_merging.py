"""What the merge commands share: the user to record, errors as CommandError."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


def acting_user(username: str | None):
    if not username:
        return None
    try:
        return get_user_model().objects.get_by_natural_key(username)
    except get_user_model().DoesNotExist as error:
        raise CommandError(f"No user {username!r}.") from error


def refused(error: ValidationError) -> CommandError:
    return CommandError("\n".join(error.messages))
