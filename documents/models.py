"""Documents kept on a record, and e-mails recorded as engagements.

A document hangs on a partner, pledge, payment, engagement or meeting through
a generic key, so this app depends on none of them at the model level and the
briefs (reports) can list documents without a cycle between apps. Files go
through the default storage under a random name; they are read back only by
the permission-checked download view, never from a media URL.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from documents.managers import DocumentQuerySet


def document_path(instance: Document, filename: str) -> str:
    # A random name: the stored path says nothing of the document, and two
    # uploads of "Agreement.pdf" never overwrite each other.
    suffix = PurePath(filename).suffix.lower()
    return f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Document(models.Model):
    class Type(models.TextChoices):
        AGREEMENT = "agreement", _("Agreement")
        NOTE_VERBALE = "note_verbale", _("Note verbale")
        LETTER = "letter", _("Letter")
        REPORT = "report", _("Report")
        EMAIL = "email", _("E-mail")
        ATTACHMENT = "attachment", _("E-mail attachment")
        OTHER = "other", _("Other")

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), on_delete=models.CASCADE
    )
    object_id = models.PositiveBigIntegerField(_("record id"))
    record = GenericForeignKey("content_type", "object_id")
    type = models.CharField(
        _("type"), max_length=20, choices=Type.choices, default=Type.OTHER
    )
    date = models.DateField(
        _("date"),
        default=timezone.localdate,
        help_text=_("When it was signed, sent or received."),
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    file = models.FileField(_("file"), upload_to=document_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=255, editable=False)
    mime_type = models.CharField(_("content type"), max_length=100, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"), editable=False)
    confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_(
            "Visible only to staff allowed to see confidential engagements. "
            "A document of a confidential engagement is always confidential."
        ),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    objects = DocumentQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return self.filename

    def save(self, *args, **kwargs) -> None:
        # The flag follows the record: a document of a confidential
        # engagement is confidential whatever the form said.
        if getattr(self.record, "confidential", False):
            self.confidential = True
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("admin:documents_document_download", args=[self.pk])


class RecordedEmail(models.Model):
    """The e-mail an engagement was recorded from: its Message-ID and addresses.

    The Message-ID is unique: the same message uploaded twice (by two people,
    or as .eml and .msg) is recognised and refused.
    """

    engagement = models.OneToOneField(
        "partners.Engagement",
        verbose_name=_("engagement"),
        on_delete=models.CASCADE,
        related_name="recorded_email",
    )
    message_id = models.CharField(_("Message-ID"), max_length=500, unique=True)
    sent_at = models.DateTimeField(_("sent at"))
    sender = models.CharField(_("from"), max_length=500)
    recipients = models.TextField(_("to and cc"), blank=True)
    unknown_addresses = models.TextField(
        _("addresses of no contact"),
        blank=True,
        help_text=_("One per line, when the e-mail was recorded."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("recorded e-mail")
        verbose_name_plural = _("recorded e-mails")

    def __str__(self) -> str:
        return self.message_id
