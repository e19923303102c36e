from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from outreach.calendars import feed_renew
from tests.factories import (
    EngagementFactory,
    EventFactory,
    FollowUpFactory,
    MeetingFactory,
    PartnerFactory,
)

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")


def parse(response) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def events(cal: Calendar) -> dict[str, object]:
    return {str(e["summary"]): e for e in cal.walk("VEVENT")}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_meeting_downloads_as_ics_at_the_right_hour_in_any_time_zone(admin_client):
    # 15:00 in Geneva on a summer day is 13:00 UTC and 09:00 in New York.
    meeting = MeetingFactory(
        title="Permanent Mission of Kenya",
        starts_at=dt.datetime(2026, 7, 2, 15, 0, tzinfo=ZURICH),
        ends_at=dt.datetime(2026, 7, 2, 16, 30, tzinfo=ZURICH),
        place="Salle Popov",
        partners=[PartnerFactory(name="Kenya")],
    )

    cal = parse(admin_client.get(reverse("outreach:meeting_ics", args=[meeting.pk])))

    event = events(cal)["Permanent Mission of Kenya"]
    start = event.decoded("dtstart")
    assert event["dtstart"].params["TZID"] == "Europe/Zurich"
    assert (start.hour, start.minute) == (15, 0)
    assert start.astimezone(dt.UTC).hour == 13
    assert start.astimezone(ZoneInfo("America/New_York")).hour == 9
    assert event.decoded("dtend") - start == dt.timedelta(minutes=90)
    assert str(event["location"]) == "Salle Popov"
    assert "Kenya" in str(event["description"])
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Zurich"]


def test_the_meeting_page_links_to_its_ics(admin_client):
    meeting = MeetingFactory()
    page = admin_client.get(reverse("admin:reports_meeting_change", args=[meeting.pk]))
    assert reverse("outreach:meeting_ics", args=[meeting.pk]) in page.text


def test_an_event_downloads_as_all_day_entries_over_its_days(admin_client):
    event = EventFactory(
        name="WSIS Forum",
        start_date=dt.date(2026, 7, 7),
        end_date=dt.date(2026, 7, 11),
    )
    page = admin_client.get(reverse("admin:partners_event_change", args=[event.pk]))
    url = reverse("outreach:event_ics", args=[event.pk])
    assert url in page.text

    vevent = events(parse(admin_client.get(url)))["WSIS Forum"]

    assert vevent.decoded("dtstart") == dt.date(2026, 7, 7)
    # DTEND of an all-day entry is the day after the last.
    assert vevent.decoded("dtend") == dt.date(2026, 7, 12)


def test_ics_downloads_need_the_permission_to_view_the_record(staff_user):
    meeting = MeetingFactory()
    client = signed_in(staff_user)  # partners and crm only
    response = client.get(reverse("outreach:meeting_ics", args=[meeting.pk]))
    assert response.status_code == 403


def test_the_feed_holds_the_users_meetings_and_follow_ups_and_nothing_confidential(
    officer, superuser
):
    mine = MeetingFactory(
        title="Briefing for Japan",
        starts_at=timezone.now() + dt.timedelta(days=2),
    )
    mine.staff.set([officer])
    MeetingFactory(title="Someone else's meeting")
    secret = EngagementFactory(confidential=True)
    FollowUpFactory(
        assignee=officer,
        description="Send the letter",
        due_date=dt.date(2026, 12, 20),
    )
    FollowUpFactory(
        assignee=officer,
        engagement=secret,
        description="Discuss the confidential fund",
        due_date=dt.date(2026, 12, 21),
    )
    FollowUpFactory(assignee=officer, description="Already done", status="done")

    token = feed_renew(user=officer)
    cal = parse(Client().get(reverse("outreach_feed", args=[token])))

    found = events(cal)
    assert "Briefing for Japan" in found
    assert "Someone else's meeting" not in found
    letter = next(e for s, e in found.items() if "Send the letter" in s)
    assert letter.decoded("dtstart") == dt.date(2026, 12, 20)
    assert not any("confidential" in s for s in found)
    assert not any("Already done" in s for s in found)

    # The same follow-up shows in the feed of someone allowed to see it.
    FollowUpFactory(
        assignee=superuser,
        engagement=secret,
        description="Discuss the confidential fund too",
        due_date=dt.date(2026, 12, 21),
    )
    chief = parse(
        Client().get(reverse("outreach_feed", args=[feed_renew(user=superuser)]))
    )
    assert any("confidential fund too" in s for s in events(chief))


def test_the_feed_address_is_made_renewed_and_revoked_from_the_settings_page(
    officer,
):
    MeetingFactory(starts_at=timezone.now()).staff.set([officer])
    client = signed_in(officer)
    settings_url = reverse("outreach:preferences")

    page = client.post(
        reverse("outreach:feed_change"), {"action": "renew"}, follow=True
    )
    first = page.context["new_feed_url"]
    assert first.startswith("https://crm.example.org/calendar/")
    assert first in page.text
    path = first.removeprefix("https://crm.example.org")
    assert Client().get(path).status_code == 200
    # Shown once only.
    assert first not in client.get(settings_url).text

    page = client.post(
        reverse("outreach:feed_change"), {"action": "renew"}, follow=True
    )
    second = page.context["new_feed_url"]
    assert second != first
    assert Client().get(path).status_code == 404
    second_path = second.removeprefix("https://crm.example.org")
    assert Client().get(second_path).status_code == 200

    client.post(reverse("outreach:feed_change"), {"action": "revoke"})
    assert Client().get(second_path).status_code == 404


def test_a_feed_of_a_deactivated_user_stops_working(officer):
    token = feed_renew(user=officer)
    officer.is_active = False
    officer.save()
    assert Client().get(reverse("outreach_feed", args=[token])).status_code == 404


def test_the_feed_makes_a_bounded_number_of_queries(
    officer, django_assert_max_num_queries
):
    for n in range(12):
        meeting = MeetingFactory(starts_at=timezone.now() + dt.timedelta(days=n))
        meeting.staff.set([officer])
        FollowUpFactory(assignee=officer, due_date=dt.date(2026, 12, 1 + n))
    token = feed_renew(user=officer)
    with django_assert_max_num_queries(6):
        cal = parse(Client().get(reverse("outreach_feed", args=[token])))
    assert len(list(cal.walk("VEVENT"))) == 24
