"""iCalendar files: one meeting or event, and each user's private feed.

Meeting times are written in the CRM's time zone (``TIME_ZONE``) with its
VTIMEZONE, so a calendar elsewhere shows them at the right hour.
"""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as VEvent

from outreach.models import Preference, hash_token
from outreach.services import site_url
from partners.models import Event, FollowUp
from reports.models import Meeting

# Meetings further back than this are left out of a feed.
FEED_PAST_DAYS = 90
DEFAULT_MEETING_LENGTH = dt.timedelta(hours=1)


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Partner CRM//outreach//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def _uid(kind: str, pk: int) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "crm"
    return f"{kind}-{pk}@{host}"


def _meeting_event(meeting: Meeting, stamp: dt.datetime) -> VEvent:
    zone = ZoneInfo(settings.TIME_ZONE)
    start = meeting.starts_at.astimezone(zone)
    end = (meeting.ends_at or meeting.starts_at + DEFAULT_MEETING_LENGTH).astimezone(
        zone
    )
    event = VEvent()
    event.add("uid", _uid("meeting", meeting.pk))
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", meeting.title)
    if meeting.place:
        event.add("location", meeting.place)
    partners = ", ".join(p.name for p in meeting.partners.all())
    event.add(
        "description",
        "\n".join(
            part
            for part in (
                partners,
                meeting.objectives,
                site_url(meeting.get_absolute_url()),
            )
            if part
        ),
    )
    event.add("url", site_url(meeting.get_absolute_url()))
    return event


def _followup_event(followup: FollowUp, stamp: dt.datetime) -> VEvent:
    event = VEvent()
    event.add("uid", _uid("followup", followup.pk))
    event.add("dtstamp", stamp)
    event.add("dtstart", followup.due_date)
    event.add("dtend", followup.due_date + dt.timedelta(days=1))
    partner = f" ({followup.partner.name})" if followup.partner_id else ""
    event.add(
        "summary", _("Follow-up: %(what)s") % {"what": followup.description} + partner
    )
    event.add("transp", "TRANSPARENT")
    event.add(
        "url", site_url(reverse("admin:partners_followup_change", args=[followup.pk]))
    )
    return event


def _finish(cal: Calendar) -> bytes:
    cal.add_missing_timezones()
    return cal.to_ical()


def meeting_ics(meeting: Meeting) -> bytes:
    cal = _calendar(meeting.title)
    cal.add_component(_meeting_event(meeting, timezone.now()))
    return _finish(cal)


def event_ics(event: Event) -> bytes:
    """An event as all-day entries from its first to its last day."""
    cal = _calendar(event.name)
    vevent = VEvent()
    vevent.add("uid", _uid("event", event.pk))
    vevent.add("dtstamp", timezone.now())
    vevent.add("dtstart", event.start_date)
    vevent.add("dtend", (event.end_date or event.start_date) + dt.timedelta(days=1))
    vevent.add("summary", event.name)
    location = ", ".join(
        part
        for part in (event.place, event.country.name_en if event.country else "")
        if part
    )
    if location:
        vevent.add("location", location)
    if event.website:
        vevent.add("url", event.website)
    cal.add_component(vevent)
    return _finish(cal)


def feed_ics(user) -> bytes:
    """The user's meetings (staff attending, or made by them) and open follow-ups.

    Follow-ups of confidential engagements are left out for users who may not
    see them, as everywhere else.
    """
    now = timezone.now()
    cal = _calendar(_("CRM: meetings and follow-ups"))
    theirs = Meeting.objects.filter(Q(staff=user) | Q(created_by=user)).values("pk")
    for meeting in (
        Meeting.objects.filter(
            pk__in=theirs, starts_at__gte=now - dt.timedelta(days=FEED_PAST_DAYS)
        )
        .prefetch_related("partners")
        .order_by("starts_at", "pk")
    ):
        cal.add_component(_meeting_event(meeting, now))
    for followup in (
        FollowUp.objects.visible_to(user)
        .open()
        .filter(assignee=user)
        .select_related("partner")
        .order_by("due_date", "pk")
    ):
        cal.add_component(_followup_event(followup, now))
    return _finish(cal)


@transaction.atomic
def feed_renew(*, user) -> str:
    """Make a new secret feed token for ``user``; the old one stops working.

    Only the token's hash is stored: the token is shown once, in the address
    returned here.
    """
    token = secrets.token_urlsafe(32)
    preference, _created = Preference.objects.get_or_create(
        user=user, defaults={"language": settings.LANGUAGE_CODE}
    )
    preference.feed_token_hash = hash_token(token)
    preference.feed_created_at = timezone.now()
    preference.save(update_fields=["feed_token_hash", "feed_created_at"])
    return token


def feed_revoke(*, user) -> None:
    Preference.objects.filter(user=user).update(
        feed_token_hash=None, feed_created_at=None
    )


def feed_user(token: str):
    """The active user a feed token belongs to, or None."""
    preference = (
        Preference.objects.filter(
            feed_token_hash=hash_token(token), user__is_active=True
        )
        .select_related("user")
        .first()
    )
    return preference.user if preference else None
