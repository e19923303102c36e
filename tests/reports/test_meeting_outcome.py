"""Record the outcome of a meeting: engagements and follow-ups in one form,
linked from the meeting; the start page shows meetings still without one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from partners.models import Affiliation, Engagement, FollowUp
from reports.models import Meeting
from tests.factories import (
    AffiliationFactory,
    ContactFactory,
    EngagementFactory,
    MeetingFactory,
    PartnerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(superuser):
    japan = PartnerFactory(name="Japan", short_name="JPN")
    korea = PartnerFactory(name="Republic of Korea")
    nakamura = ContactFactory(title="H.E.", first_name="Yuko", last_name="Nakamura")
    AffiliationFactory(
        contact=nakamura, partner=japan, role=Affiliation.Role.AMBASSADOR
    )
    kim = ContactFactory(first_name="Min-jun", last_name="Kim")
    AffiliationFactory(contact=kim, partner=korea, role=Affiliation.Role.COUNSELLOR)
    meeting = MeetingFactory(
        title="Asia-Pacific donors",
        partners=[japan, korea],
        starts_at=timezone.now() - dt.timedelta(days=1),
    )
    meeting.counterparts.set([nakamura, kim])
    meeting.staff.set([superuser])
    return meeting


def _url(meeting) -> str:
    return reverse("admin:reports_meeting_outcome", args=[meeting.pk])


def _post_data(meeting, **extra) -> dict:
    japan, korea = meeting.partners.order_by("name")
    today = timezone.localdate()
    data = {
        "date": f"{today:%Y-%m-%d}",
        "kind": Engagement.Kind.MEETING,
        "subject": meeting.title,
        "partners": [japan.pk, korea.pk],
        "contacts": [c.pk for c in meeting.counterparts.all()],
        "staff": [u.pk for u in meeting.staff.all()],
        "summary": meeting.agenda,
        "outcome": "Japan will pledge; Korea will confirm in March.",
        "followups-TOTAL_FORMS": 2,
        "followups-INITIAL_FORMS": 0,
        "followups-MIN_NUM_FORMS": 0,
        "followups-MAX_NUM_FORMS": 20,
    }
    data.update(extra)
    return data


def test_the_form_is_prefilled_from_the_meeting(admin_client, meeting):
    page = admin_client.get(_url(meeting))
    form = page.context["form"]
    assert form.initial["subject"] == "Asia-Pacific donors"
    assert (
        "Secure the renewal of the voluntary contribution." in form.initial["summary"]
    )
    assert "- Invite to the WSIS Forum" in form.initial["summary"]
    assert set(form.initial["partners"]) == set(meeting.partners.all())
    assert set(form.initial["contacts"]) == set(meeting.counterparts.all())
    html = page.content.decode()
    assert "H.E. Yuko Nakamura — Ambassador, Japan" in html


def test_recording_creates_the_engagement_and_follow_ups(
    admin_client, meeting, superuser
):
    japan, korea = meeting.partners.order_by("name")
    due = timezone.localdate() + dt.timedelta(days=10)
    response = admin_client.post(
        _url(meeting),
        _post_data(
            meeting,
            **{
                "followups-0-description": "Send the pledge form to Japan",
                "followups-0-assignee": superuser.pk,
                "followups-0-due_date": f"{due:%Y-%m-%d}",
                "followups-0-partner": japan.pk,
                "followups-1-description": "",
            },
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:reports_meeting_change", args=[meeting.pk]
    )
    engagement = meeting.engagements.get()
    assert set(engagement.partners.all()) == {japan, korea}
    assert set(engagement.contacts.all()) == set(meeting.counterparts.all())
    assert engagement.created_by == superuser
    assert "Invite to the WSIS Forum" in engagement.summary
    followup = engagement.followups.get()
    assert (followup.description, followup.assignee, followup.due_date) == (
        "Send the pledge form to Japan",
        superuser,
        due,
    )
    assert followup.partner == japan

    page = admin_client.get(response["Location"]).content.decode()
    outcome = page[page.index('id="crm-meeting-outcome"') :]
    assert reverse("admin:partners_engagement_change", args=[engagement.pk]) in outcome
    assert "Send the pledge form to Japan" in outcome
    assert "Outcome recorded: 1 engagement and 1 follow-up(s)." in page


def test_one_engagement_per_partner_splits_contacts_and_follow_ups(
    admin_client, meeting, superuser
):
    japan, korea = meeting.partners.order_by("name")
    due = f"{timezone.localdate() + dt.timedelta(days=10):%Y-%m-%d}"
    admin_client.post(
        _url(meeting),
        _post_data(
            meeting,
            one_per_partner="on",
            **{
                "followups-0-description": "Confirm the Korean amount",
                "followups-0-assignee": superuser.pk,
                "followups-0-due_date": due,
                "followups-0-partner": korea.pk,
            },
        ),
    )
    engagements = {e.partners.get(): e for e in meeting.engagements.all()}
    assert set(engagements) == {japan, korea}
    assert [c.last_name for c in engagements[japan].contacts.all()] == ["Nakamura"]
    assert [c.last_name for c in engagements[korea].contacts.all()] == ["Kim"]
    assert engagements[korea].followups.get().description == "Confirm the Korean amount"
    assert not engagements[japan].followups.exists()


def test_a_follow_up_without_assignee_is_refused_and_nothing_is_recorded(
    admin_client, meeting
):
    response = admin_client.post(
        _url(meeting),
        _post_data(
            meeting,
            **{
                "followups-0-description": "Send the pledge form",
                "followups-0-due_date": "2030-01-01",
            },
        ),
    )
    assert response.status_code == 200
    assert "Follow-up 1: choose who does it." in response.content.decode()
    assert not Engagement.objects.exists()
    assert not FollowUp.objects.exists()
    assert not meeting.engagements.exists()


def test_a_bad_date_is_refused_with_the_field_named(admin_client, meeting):
    response = admin_client.post(
        _url(meeting),
        _post_data(meeting, date="31.02.2026", partners=[]),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "date" in errors and "partners" in errors
    assert not Engagement.objects.exists()


def test_recording_needs_the_add_engagement_permission(client, meeting):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_meeting"))
    client.force_login(user)
    assert client.get(_url(meeting)).status_code == 403
    assert client.post(_url(meeting), _post_data(meeting)).status_code == 403
    page = client.get(reverse("admin:reports_meeting_change", args=[meeting.pk]))
    assert _url(meeting) not in page.content.decode()
    assert not Engagement.objects.exists()


def test_the_meeting_hides_a_confidential_outcome_from_others(
    client, meeting, staff_user
):
    secret = EngagementFactory(
        partners=list(meeting.partners.all()), subject="Zanzibar", confidential=True
    )
    meeting.engagements.add(secret)
    staff_user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_meeting", "change_meeting"])
    )
    client.force_login(staff_user)
    html = client.get(
        reverse("admin:reports_meeting_change", args=[meeting.pk])
    ).content.decode()
    assert "Zanzibar" not in html


def test_the_start_page_marks_meetings_without_an_outcome(
    admin_client, meeting, django_assert_max_num_queries
):
    done = MeetingFactory(
        title="Nordic donors", starts_at=timezone.now() - dt.timedelta(hours=3)
    )
    done.engagements.add(EngagementFactory(partners=list(done.partners.all())))
    MeetingFactory(title="Gulf donors", starts_at=timezone.now() + dt.timedelta(days=2))
    MeetingFactory(title="Long ago", starts_at=timezone.now() - dt.timedelta(days=30))
    html = admin_client.get(reverse("admin:index")).content.decode()
    panel = html[html.index('id="crm-meetings-ahead"') :]
    panel = panel[: panel.index("</table>")]
    rows = {
        title: row
        for row in panel.split("<tr>")[1:]
        for title in ("Asia-Pacific donors", "Nordic donors", "Gulf donors")
        if title in row
    }
    assert "no outcome yet" in rows["Asia-Pacific donors"]
    assert _url(meeting) in rows["Asia-Pacific donors"]
    assert "outcome recorded" in rows["Nordic donors"]
    assert "no outcome yet" not in rows["Gulf donors"]
    assert "outcome recorded" not in rows["Gulf donors"]
    assert "Long ago" not in panel


def test_the_meeting_list_says_which_have_an_outcome(admin_client, meeting):
    html = admin_client.get(reverse("admin:reports_meeting_changelist")).content
    assert "not yet" in html.decode()
    meeting.engagements.add(EngagementFactory(partners=list(meeting.partners.all())))
    html = admin_client.get(reverse("admin:reports_meeting_changelist")).content
    assert "recorded" in html.decode()
    assert Meeting.objects.count() == 1
