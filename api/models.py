"""Personal API tokens: named, scoped, expiring, revocable, stored hashed."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Every key starts with this, so a leaked one is easy to recognise in logs and
# secret scanners; the prefix stored beside the hash lets its owner tell their
# tokens apart.
KEY_PREFIX = "crm_"
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 6
# Writing "last used" once a minute is enough to show it and spares a write
# on every request.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


def hash_key(key: str) -> str:
    # A key is 32 random bytes: a fast hash cannot be brute-forced, and a
    # slow one would cost every request.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> ApiTokenQuerySet:
        """Tokens neither revoked nor expired, whose user is active."""
        return self.filter(
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        READ_WRITE = "read_write", _("Read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(
        _("name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “ERP payments sync”."),
    )
    scope = models.CharField(
        _("scope"), max_length=10, choices=Scope.choices, default=Scope.READ
    )
    key_prefix = models.CharField(_("key starts with"), max_length=20, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=models.Q(revoked_at__isnull=True),
                name="unique_live_api_token_name_per_user",
                violation_error_message=_("You already have a token with this name."),
            ),
        ]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return self.name

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.READ_WRITE

    def touch(self) -> None:
        """Record that the token was used now (at most once a minute)."""
        now = timezone.now()
        if self.last_used_at and now - self.last_used_at < LAST_USED_PRECISION:
            return
        self.last_used_at = now
        type(self).objects.filter(pk=self.pk).update(last_used_at=now)


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)
