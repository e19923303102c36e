"""Digests by e-mail: who gets which, what they hold, sending and retrying.

The content comes from the same querysets as the start page panels (follow-ups
overdue and upcoming, installments overdue, partners not contacted, pledges
that moved stage), filtered by what the recipient may see.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.lib.names import user_name
from outreach.models import DigestSend, Preference
from partners.managers import STALE_AFTER
from partners.models import FollowUp, Partner
from pledges.models import Installment, Pledge
from reports.briefs.printing import PRINT_PERMISSION
from reports.figures.pipeline import moved_stage
from reports.models import Meeting

log = logging.getLogger(__name__)

# Days ahead the daily digest looks for follow-ups coming due.
DAILY_AHEAD_DAYS = 7
# Rows a weekly digest lists per section before "and N more".
WEEKLY_ROWS = 20


def site_url(path: str) -> str:
    """``path`` as an absolute address on the CRM (``SITE_URL``)."""
    return urljoin(settings.SITE_URL.rstrip("/") + "/", path.lstrip("/"))


def preference_for(user) -> Preference:
    """The user's preferences; an unsaved row with the defaults if none yet."""
    try:
        return user.outreach_preference
    except Preference.DoesNotExist:
        return Preference(user=user)


@transaction.atomic
def preference_language_set(*, user, language: str) -> Preference:
    """Remember the language ``user`` chose ("" for the browser's)."""
    preference = preference_for(user)
    preference.language = language
    preference.full_clean(exclude=["user"])
    preference.save()
    return preference


@dataclass(frozen=True)
class MeetingLine:
    meeting: Meeting
    local_start: dt.datetime
    url: str
    pack_url: str | None


@dataclass(frozen=True)
class DailyDigest:
    user: object
    today: dt.date
    overdue: list[FollowUp]
    due_today: list[FollowUp]
    coming: list[FollowUp]
    meetings: list[MeetingLine]
    followups_url: str

    @property
    def is_empty(self) -> bool:
        return not (self.overdue or self.due_today or self.coming or self.meetings)


def digest_daily_build(*, user, today: dt.date | None = None) -> DailyDigest:
    """One user's follow-ups (overdue, due today, next 7 days) and meetings today.

    Follow-ups of confidential engagements appear only to users allowed to see
    them (``FollowUp.objects.visible_to``).
    """
    today = today or timezone.localdate()
    mine = (
        FollowUp.objects.visible_to(user)
        .filter(assignee=user)
        .select_related("partner", "engagement")
        .order_by("due_date", "pk")
    )
    coming = mine.upcoming(days=DAILY_AHEAD_DAYS)
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    meetings = (
        Meeting.objects.filter(Q(staff=user) | Q(created_by=user))
        .filter(starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1))
        .distinct()
        .order_by("starts_at", "pk")
    )
    can_print = user.has_perm(PRINT_PERMISSION)
    return DailyDigest(
        user=user,
        today=today,
        overdue=list(mine.overdue()),
        due_today=list(coming.filter(due_date=today)),
        coming=list(coming.filter(due_date__gt=today)),
        meetings=[
            MeetingLine(
                meeting=m,
                local_start=timezone.localtime(m.starts_at),
                url=site_url(m.get_absolute_url()),
                pack_url=site_url(reverse("admin:reports_print_meeting", args=[m.pk]))
                if can_print
                else None,
            )
            for m in meetings
        ],
        followups_url=site_url(reverse("admin:partners_followup_changelist")),
    )


@dataclass(frozen=True)
class OwnerLine:
    owner: str
    count: int
    oldest: dt.date


@dataclass(frozen=True)
class WeeklyDigest:
    user: object
    today: dt.date
    overdue_by_owner: list[OwnerLine] | None
    installments: list[Installment] | None
    installments_total: int
    quiet_partners: list[Partner] | None
    quiet_total: int
    quiet_since: dt.date
    moved: list = field(default_factory=list)
    sees_pledges: bool = False

    @property
    def is_empty(self) -> bool:
        return not (
            self.overdue_by_owner
            or self.installments
            or self.quiet_partners
            or self.moved
        )


def digest_weekly_build(*, user, today: dt.date | None = None) -> WeeklyDigest:
    """The team's week for one reader, each section only if they may see it."""
    today = today or timezone.localdate()
    overdue_by_owner = None
    if user.has_perm("partners.view_followup"):
        rows = list(
            FollowUp.objects.visible_to(user)
            .overdue()
            .order_by()
            .values("assignee")
            .annotate(n=Count("pk"), oldest=Min("due_date"))
        )
        owners = get_user_model().objects.in_bulk(
            [r["assignee"] for r in rows if r["assignee"]]
        )
        overdue_by_owner = sorted(
            (
                OwnerLine(
                    owner=user_name(owners.get(r["assignee"])) or _("Nobody"),
                    count=r["n"],
                    oldest=r["oldest"],
                )
                for r in rows
            ),
            key=lambda line: (-line.count, line.owner.casefold()),
        )
    sees_pledges = user.has_perm("pledges.view_pledge")
    installments, installments_total, moved = None, 0, []
    if sees_pledges:
        overdue = Installment.objects.overdue(today)
        installments_total = overdue.count()
        installments = list(
            overdue.with_coverage(today)
            .select_related("pledge", "pledge__partner")
            .order_by("due_date", "pk")[:WEEKLY_ROWS]
        )
        moved = moved_stage(Pledge.objects.all(), today, days=6)
    quiet_since = today - STALE_AFTER
    quiet, quiet_total = None, 0
    if user.has_perm("partners.view_partner"):
        stale = Partner.objects.not_contacted_since(quiet_since, user)
        quiet_total = stale.count()
        quiet = list(
            stale.with_activity(user)
            .select_related("owner")
            .order_by("priority", "name")[:WEEKLY_ROWS]
        )
    return WeeklyDigest(
        user=user,
        today=today,
        overdue_by_owner=overdue_by_owner,
        installments=installments,
        installments_total=installments_total,
        quiet_partners=quiet,
        quiet_total=quiet_total,
        quiet_since=quiet_since,
        moved=moved,
        sees_pledges=sees_pledges,
    )


def digest_message(*, user, kind: str, today: dt.date) -> EmailMultiAlternatives | None:
    """The digest as an e-mail in the user's language, or None if it is empty."""
    preference = preference_for(user)
    with translation.override(preference.mail_language):
        if kind == DigestSend.Kind.DAILY:
            digest = digest_daily_build(user=user, today=today)
            subject = _("Your CRM day, %(date)s") % {"date": f"{today:%Y-%m-%d}"}
        else:
            digest = digest_weekly_build(user=user, today=today)
            subject = _("The team's week in the CRM, %(date)s") % {
                "date": f"{today:%Y-%m-%d}"
            }
        if digest.is_empty:
            return None
        context = {
            "digest": digest,
            "subject": subject,
            "preferences_url": site_url(reverse("outreach:preferences")),
        }
        text = render_to_string(f"outreach/email/{kind}.txt", context)
        html = render_to_string(f"outreach/email/{kind}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={
            "Auto-Submitted": "auto-generated",
            "Content-Language": preference.mail_language,
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def _period(kind: str, today: dt.date) -> dt.date:
    if kind == DigestSend.Kind.WEEKLY:
        return today - dt.timedelta(days=today.weekday())
    return today


def digests_plan(*, now: dt.datetime | None = None) -> list[DigestSend]:
    """Record the digests due now and return those this call recorded.

    A digest is due from ``DIGEST_SEND_HOUR`` (local time) of its day, or of
    the week's Monday for the weekly one. Each (user, digest, period) can be
    recorded once only (a unique constraint), so several schedulers running
    at once plan, and so send, each digest once.
    """
    now = timezone.localtime(now or timezone.now())
    if now.hour < settings.DIGEST_SEND_HOUR:
        return []
    today = now.date()
    users = (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .exclude(email="")
        .select_related("outreach_preference")
    )
    planned = []
    for user in users:
        preference = preference_for(user)
        kinds = [
            kind
            for kind, wanted in (
                (DigestSend.Kind.DAILY, preference.daily),
                (DigestSend.Kind.WEEKLY, preference.weekly),
            )
            if wanted
        ]
        for kind in kinds:
            try:
                with transaction.atomic():
                    send, created = DigestSend.objects.get_or_create(
                        user=user, kind=kind, period=_period(kind, today)
                    )
            except IntegrityError:
                # Recorded by another scheduler between the get and the create.
                continue
            if created:
                planned.append(send)
    return planned


def digests_to_retry(*, now: dt.datetime | None = None) -> list[DigestSend]:
    """Failed sends whose wait before the next attempt is over."""
    now = now or timezone.now()
    wait = dt.timedelta(minutes=settings.DIGEST_RETRY_MINUTES)
    return [
        send
        for send in DigestSend.objects.filter(status=DigestSend.Status.RETRYING)
        if send.attempted_at is None or send.attempted_at + wait * send.attempts <= now
    ]


def digest_send(*, send_id: int) -> DigestSend:
    """Build and send one recorded digest, recording the result.

    Safe to call twice: a digest already sent (or found empty, or given up)
    is left alone. A failure is recorded and retried by ``send_digests`` until
    ``DIGEST_MAX_ATTEMPTS`` attempts have failed.
    """
    with transaction.atomic():
        send = (
            DigestSend.objects.select_for_update()
            .select_related("user")
            .get(pk=send_id)
        )
        if send.status not in (DigestSend.Status.PENDING, DigestSend.Status.RETRYING):
            return send
        now = timezone.now()
        send.attempts += 1
        send.attempted_at = now
        try:
            # The content as of now: a retry sends today's figures.
            message = digest_message(
                user=send.user, kind=send.kind, today=timezone.localdate(now)
            )
            if message is None:
                send.status = DigestSend.Status.SKIPPED
            else:
                send.recipient = send.user.email
                send.subject = message.subject[:200]
                message.send()
                send.status = DigestSend.Status.SENT
                send.sent_at = timezone.now()
                send.last_error = ""
        except Exception as error:  # any failure of rendering or SMTP: log, retry
            log.warning("Digest %s to %s failed: %s", send.pk, send.user, error)
            send.last_error = f"{type(error).__name__}: {error}"
            send.status = (
                DigestSend.Status.RETRYING
                if send.attempts < settings.DIGEST_MAX_ATTEMPTS
                else DigestSend.Status.FAILED
            )
        send.save()
    return send


def digests_enqueue(sends: list[DigestSend]) -> None:
    """Hand each send to the background worker once the rows are committed."""
    from outreach.tasks import send_digest

    for send in sends:
        transaction.on_commit(lambda pk=send.pk: send_digest.enqueue(pk))
