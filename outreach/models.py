"""What each user wants sent to them, and the log of every digest sent."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def hash_token(token: str) -> str:
    """The stored form of a calendar feed token (the token itself is never kept)."""
    return hashlib.sha256(token.encode()).hexdigest()


class Preference(models.Model):
    """One user's digests and calendar feed. No row means the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="outreach_preference",
    )
    daily = models.BooleanField(
        _("daily digest"),
        default=True,
        help_text=_(
            "Each morning: your follow-ups overdue, due today and in the next "
            "7 days, and your meetings of the day."
        ),
    )
    weekly = models.BooleanField(
        _("weekly team digest"),
        default=False,
        help_text=_(
            "Each Monday: overdue follow-ups by owner, installments overdue, "
            "partners not contacted for months, pledges that moved stage."
        ),
    )
    # Empty until the user chooses: pages then follow the browser's language
    # and e-mails are in English (settings.LANGUAGE_CODE).
    language = models.CharField(
        _("language"),
        max_length=5,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        help_text=_("Empty: pages follow your browser's language."),
    )
    feed_token_hash = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    feed_created_at = models.DateTimeField(
        _("calendar feed made"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("reminder preference")
        verbose_name_plural = _("reminder preferences")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def mail_language(self) -> str:
        """The language of the user's e-mails: the chosen one, else the site's."""
        return self.language or settings.LANGUAGE_CODE


class DigestSend(models.Model):
    """One digest for one user and one day (daily) or week (weekly).

    The unique constraint on (user, kind, period) is what keeps a digest from
    going out twice when ``send_digests`` runs on several machines.
    """

    class Kind(models.TextChoices):
        DAILY = "daily", _("Daily digest")
        WEEKLY = "weekly", _("Weekly team digest")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        RETRYING = "retrying", _("Failed, will retry")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Nothing to send")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="digest_sends",
    )
    kind = models.CharField(_("digest"), max_length=10, choices=Kind.choices)
    period = models.DateField(
        _("for"), help_text=_("The day, or the Monday of the week.")
    )
    recipient = models.EmailField(_("sent to"), blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    status = models.CharField(
        _("result"),
        max_length=10,
        choices=Status.choices,
        default=Status.PENDING,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("planned"), auto_now_add=True)
    attempted_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "period"], name="outreach_one_digest_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period:%Y-%m-%d} → {self.user}"
