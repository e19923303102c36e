"""Workflows on API tokens: create (the key shown once) and revoke."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import SHOWN_PREFIX_LENGTH, ApiToken, hash_key, new_key


@transaction.atomic
def api_token_create(
    *, user, name: str, scope: str, expires_on: dt.date
) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its key, which is stored only as a hash.

    The key is returned once, to be shown once; it cannot be read again.
    """
    today = timezone.localdate()
    longest = settings.API_TOKEN_MAX_DAYS
    if expires_on <= today:
        raise ValidationError(
            {
                "expires_on": _("Choose a date after today, not %(date)s.")
                % {"date": expires_on.isoformat()}
            }
        )
    if expires_on > today + dt.timedelta(days=longest):
        raise ValidationError(
            {
                "expires_on": _(
                    "A token lives at most %(days)d days: choose %(date)s or earlier."
                )
                % {
                    "days": longest,
                    "date": (today + dt.timedelta(days=longest)).isoformat(),
                }
            }
        )
    key = new_key()
    expires_at = timezone.make_aware(
        dt.datetime.combine(expires_on + dt.timedelta(days=1), dt.time.min)
    )
    token = ApiToken(
        user=user,
        name=(name or "").strip(),
        scope=scope,
        key_prefix=key[:SHOWN_PREFIX_LENGTH],
        key_hash=hash_key(key),
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> bool:
    """Stop the token working at once; False if it was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    return True
