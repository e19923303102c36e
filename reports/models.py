"""Meetings to prepare for, and the log of every brief printed."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from partners.models import Contact, Engagement, Partner


class Meeting(models.Model):
    """A meeting with a counterpart, printed as a briefing pack."""

    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    partners = models.ManyToManyField(
        Partner,
        through="MeetingPartner",
        verbose_name=_("partners covered"),
        related_name="meetings",
        help_text=_("The pack holds one brief for each of these partners."),
    )
    counterparts = models.ManyToManyField(
        Contact,
        verbose_name=_("counterparts"),
        related_name="meetings",
        blank=True,
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff attending"),
        related_name="meetings",
        blank=True,
    )
    objectives = models.TextField(_("objectives"), blank=True)
    talking_points = models.TextField(
        _("talking points"),
        blank=True,
        help_text=_("One point per line."),
    )
    engagements = models.ManyToManyField(
        Engagement,
        verbose_name=_("outcome recorded"),
        related_name="meetings",
        blank=True,
        editable=False,
        help_text=_("The engagements recorded as this meeting's outcome."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("admin:reports_meeting_change", args=[self.pk])

    @property
    def agenda(self) -> str:
        """Objectives and talking points, as an engagement's summary starts."""
        parts = []
        if self.objectives.strip():
            parts.append(f"{_('Objectives')}:\n{self.objectives.strip()}")
        if self.talking_point_list:
            points = "\n".join(f"- {point}" for point in self.talking_point_list)
            parts.append(f"{_('Talking points')}:\n{points}")
        return "\n\n".join(parts)

    @property
    def talking_point_list(self) -> list[str]:
        return [
            line.strip(" -•\t")
            for line in self.talking_points.splitlines()
            if line.strip(" -•\t")
        ]

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            raise ValidationError(
                {
                    "ends_at": _(
                        "The meeting ends (%(end)s) before it starts (%(start)s)."
                    )
                    % {"end": self.ends_at, "start": self.starts_at}
                }
            )


class MeetingPartner(models.Model):
    """A partner a meeting covers, and what the meeting should obtain from it.

    An empty ask prints the default one (``reports.briefs.asks.default_asks``),
    computed from the partner's open pledges and follow-ups at print time.
    """

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE
    )
    ask = models.TextField(
        _("the ask"),
        blank=True,
        help_text=_(
            "What this meeting should obtain from the partner. Left empty, the "
            "pack prints the default drawn from open pledges and follow-ups."
        ),
    )

    class Meta:
        # The table of the former automatic many-to-many (migration 0002).
        db_table = "reports_meeting_partners"
        unique_together = [("meeting", "partner")]
        verbose_name = _("partner covered")
        verbose_name_plural = _("partners covered")

    def __str__(self) -> str:
        return str(self.partner)


class PrintLog(models.Model):
    """One printed brief or pack: who, when, which partners, which document.

    Packs printed in the background keep their file here until downloaded
    from the print log; briefs printed on the spot are not stored.
    """

    class Document(models.TextChoices):
        PARTNER_BRIEF = "partner_brief", _("Partner brief")
        CONTACT_BRIEF = "contact_brief", _("Contact brief")
        COUNTRY_BRIEF = "country_brief", _("Country brief")
        MEETING_PACK = "meeting_pack", _("Meeting pack")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being prepared")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Via(models.TextChoices):
        ADMIN = "admin", _("Admin")
        COMMAND = "command", _("Command line")
        BACKGROUND = "background", _("Background task")

    printed_at = models.DateTimeField(_("printed at"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("printed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="print_logs",
    )
    document = models.CharField(
        _("document"), max_length=20, choices=Document.choices, db_index=True
    )
    title = models.CharField(_("title"), max_length=300)
    language = models.CharField(_("language"), max_length=10, default="en")
    partners = models.ManyToManyField(
        Partner, verbose_name=_("partners"), related_name="print_logs", blank=True
    )
    meetings = models.ManyToManyField(
        Meeting, verbose_name=_("meetings"), related_name="print_logs", blank=True
    )
    parameters = models.JSONField(
        _("parameters"),
        default=dict,
        blank=True,
        help_text=_("What was asked for, so a background task can rebuild it."),
    )
    includes_confidential = models.BooleanField(
        _("includes confidential engagements"), default=False
    )
    via = models.CharField(
        _("printed from"), max_length=10, choices=Via.choices, default=Via.ADMIN
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DONE
    )
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"), null=True, blank=True)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    file = models.FileField(_("file"), upload_to="briefs/%Y/%m/", blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        ordering = ["-printed_at"]
        verbose_name = _("print log entry")
        verbose_name_plural = _("print log")
        permissions = [("print_brief", _("Can print briefs"))]

    def __str__(self) -> str:
        return f"{self.get_document_display()}: {self.title}"

    def get_download_url(self) -> str:
        return reverse("admin:reports_printlog_download", args=[self.pk])

    @property
    def is_downloadable(self) -> bool:
        return self.status == self.Status.DONE and bool(self.file)
