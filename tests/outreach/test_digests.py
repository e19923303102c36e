from __future__ import annotations

import datetime as dt
import email
from email import policy

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from outreach.models import DigestSend, Preference
from outreach.services import digest_daily_build, digests_plan
from tests.factories import (
    EngagementFactory,
    FollowUpFactory,
    InstallmentFactory,
    MeetingFactory,
    PartnerFactory,
    PledgeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


def mail_to(address: str):
    (message,) = [m for m in mail.outbox if m.to == [address]]
    return message


def message_parts(message) -> tuple[str, str]:
    html = next(body for body, kind in message.alternatives if kind == "text/html")
    return message.body, html


@pytest.fixture
def day_of_work(officer, superuser):
    """Follow-ups for the officer, one from a confidential engagement.

    Only the officer has an e-mail address, so only they get a digest.
    """
    superuser.email = ""
    superuser.save()
    secret = EngagementFactory(confidential=True, subject="Secret talks")
    FollowUpFactory(
        assignee=officer, description="Call the ambassador", due_date=days(-3)
    )
    FollowUpFactory(
        assignee=officer, description="Send the agreement", due_date=today()
    )
    FollowUpFactory(assignee=officer, description="Draft the note", due_date=days(5))
    FollowUpFactory(assignee=officer, description="Too far ahead", due_date=days(20))
    FollowUpFactory(
        assignee=officer,
        engagement=secret,
        description="Offer the confidential matching fund",
        due_date=days(-1),
    )
    FollowUpFactory(
        assignee=superuser,
        engagement=secret,
        description="Brief the Secretary-General on the fund",
        due_date=days(-1),
    )
    FollowUpFactory(
        assignee=UserFactory(email=""),
        description="Someone else's task",
        due_date=days(-2),
    )
    start = timezone.make_aware(dt.datetime.combine(today(), dt.time(10, 0)))
    meeting = MeetingFactory(title="Mission of Norway", starts_at=start)
    meeting.staff.set([officer])
    return meeting


def test_the_daily_digest_lists_the_users_follow_ups_by_when_they_are_due(
    officer, day_of_work
):
    digest = digest_daily_build(user=officer)
    assert [f.description for f in digest.overdue] == ["Call the ambassador"]
    assert [f.description for f in digest.due_today] == ["Send the agreement"]
    assert [f.description for f in digest.coming] == ["Draft the note"]
    assert [line.meeting.title for line in digest.meetings] == ["Mission of Norway"]


def test_the_daily_email_has_text_and_html_parts_with_links_to_the_pack(
    send_digests, officer, day_of_work
):
    send_digests()

    message = mail_to("officer@example.org")
    text, html = message_parts(message)
    for part in (text, html):
        assert "Call the ambassador" in part
        assert "Send the agreement" in part
        assert "Draft the note" in part
        assert "Too far ahead" not in part
        assert "Someone else" not in part
        assert "Mission of Norway" in part
        assert (
            "https://crm.example.org"
            + reverse("admin:reports_print_meeting", args=[day_of_work.pk])
        ) in part
    assert "<ul>" in html


def test_confidential_follow_ups_reach_only_users_allowed_to_see_them(
    send_digests, officer, superuser, day_of_work
):
    superuser.email = "chief@example.org"
    superuser.save()

    send_digests()

    by_recipient = {m.to[0]: message_parts(m) for m in mail.outbox}
    for part in by_recipient["officer@example.org"]:
        assert "confidential matching fund" not in part
        assert "Secret talks" not in part
    for part in by_recipient["chief@example.org"]:
        assert "Brief the Secretary-General on the fund" in part


def test_running_the_scheduler_twice_sends_each_digest_once(
    send_digests, officer, day_of_work
):
    send_digests()
    send_digests()

    assert len([m for m in mail.outbox if m.to == ["officer@example.org"]]) == 1
    assert len(mail.outbox) == DigestSend.objects.filter(status="sent").count()
    send = DigestSend.objects.get(user=officer)
    assert (send.user, send.kind, send.period, send.status) == (
        officer,
        "daily",
        today(),
        "sent",
    )
    assert send.recipient == "officer@example.org"
    assert send.attempts == 1


def test_nothing_is_planned_before_the_send_hour(settings, officer, day_of_work):
    settings.DIGEST_SEND_HOUR = 7
    early = timezone.make_aware(dt.datetime.combine(today(), dt.time(6, 59)))
    assert digests_plan(now=early) == []
    later = timezone.make_aware(dt.datetime.combine(today(), dt.time(7, 0)))
    assert len(digests_plan(now=later)) == 1


def test_a_user_with_nothing_due_gets_no_email_and_the_log_says_so(
    send_digests, officer
):
    send_digests()

    assert mail.outbox == []
    assert DigestSend.objects.get(user=officer).status == "skipped"


def test_preferences_turn_the_daily_digest_off_and_the_weekly_one_on(
    send_digests, client, officer, day_of_work
):
    InstallmentFactory(due_date=days(-30))
    PartnerFactory(name="Quiet Foundation")
    client.force_login(officer)
    page = client.get(reverse("outreach:preferences"))
    assert page.status_code == 200
    assert "Daily digest" in page.text

    response = client.post(
        reverse("outreach:preferences"), {"weekly": "on", "language": "fr"}
    )

    assert response.status_code == 302
    preference = Preference.objects.get(user=officer)
    assert (preference.daily, preference.weekly, preference.language) == (
        False,
        True,
        "fr",
    )
    send_digests()
    message = mail_to("officer@example.org")
    assert DigestSend.objects.get(user=officer).kind == "weekly"
    assert message.extra_headers["Content-Language"] == "fr"
    text, html = message_parts(message)
    assert '<html lang="fr">' in html
    assert "Quiet Foundation" in text


def test_the_settings_page_is_linked_from_every_admin_page(admin_client):
    page = admin_client.get(reverse("admin:index"))
    assert reverse("outreach:preferences") in page.text


def test_the_weekly_digest_shows_the_team_overdue_by_owner_and_overdue_installments(
    send_digests, officer, superuser
):
    Preference.objects.create(user=officer, daily=False, weekly=True)
    ana = UserFactory(username="ana", first_name="Ana", last_name="Silva")
    FollowUpFactory(assignee=ana, due_date=days(-10))
    FollowUpFactory(assignee=ana, due_date=days(-4))
    FollowUpFactory(
        assignee=ana,
        engagement=EngagementFactory(confidential=True),
        due_date=days(-40),
    )
    installment = InstallmentFactory(due_date=days(-20))
    moved = PledgeFactory(title="Smart villages", stage="proposal")
    moved.stage = "pledged"
    moved.save()

    send_digests()

    text, html = message_parts(mail_to("officer@example.org"))
    for part in (text, html):
        # The confidential one is not counted for this reader.
        assert "Ana Silva: 2" in part
        assert f"{days(-10):%Y-%m-%d}" in part
        assert installment.pledge.title in part
        assert "Smart villages → Pledged" in part


def test_the_weekly_digest_leaves_out_pledges_for_users_who_cannot_see_them(
    send_digests,
    staff_user,
):
    Preference.objects.create(user=staff_user, daily=False, weekly=True)
    installment = InstallmentFactory(due_date=days(-20))
    FollowUpFactory(due_date=days(-3))

    send_digests()

    text, _html = message_parts(mail_to("staff@example.org"))
    assert installment.pledge.title not in text
    assert "Installments overdue" not in text


def test_a_failing_send_is_retried_and_shown_in_the_log(
    send_digests,
    settings,
    smtp_settings,
    smtp_server,
    officer,
    day_of_work,
    admin_client,
):
    # Nothing listens on the SMTP port yet: the connection is refused.
    send_digests()

    send = DigestSend.objects.get()
    assert (send.status, send.attempts) == ("retrying", 1)
    assert send.last_error
    log = admin_client.get(reverse("admin:outreach_digestsend_changelist"))
    assert "Failed, will retry" in log.text
    assert admin_client.get(
        reverse("admin:outreach_digestsend_change", args=[send.pk])
    ).text.count(send.last_error.split(":")[0])

    inbox = smtp_server()
    # Too early for the next attempt: nothing happens.
    send_digests()
    assert DigestSend.objects.get().attempts == 1
    DigestSend.objects.update(
        attempted_at=timezone.now()
        - dt.timedelta(minutes=settings.DIGEST_RETRY_MINUTES)
    )

    send_digests()

    send.refresh_from_db()
    assert (send.status, send.attempts) == ("sent", 2)
    assert len(inbox.envelopes) == 1
    assert (
        "Sent" in admin_client.get(reverse("admin:outreach_digestsend_changelist")).text
    )


def test_a_send_that_keeps_failing_is_given_up_after_the_last_attempt(
    send_digests, settings, smtp_settings, officer, day_of_work
):
    settings.DIGEST_MAX_ATTEMPTS = 2
    settings.DIGEST_RETRY_MINUTES = 0
    send_digests()
    send_digests()
    send_digests()

    send = DigestSend.objects.get()
    assert (send.status, send.attempts) == ("failed", 2)


def test_a_real_smtp_server_receives_the_digest_with_both_parts(
    send_digests, smtp_settings, smtp_server, officer, day_of_work
):
    smtp_settings.DEFAULT_FROM_EMAIL = "crm@example.org"
    inbox = smtp_server()

    send_digests()

    (envelope,) = inbox.envelopes
    assert envelope.mail_from == "crm@example.org"
    assert envelope.rcpt_tos == ["officer@example.org"]
    received = email.message_from_bytes(envelope.content, policy=policy.default)
    assert received["To"] == "officer@example.org"
    assert received["Subject"] == f"Your CRM day, {today():%Y-%m-%d}"
    assert received["Auto-Submitted"] == "auto-generated"
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "Call the ambassador" in text
    assert "Call the ambassador" in html
    assert DigestSend.objects.get().status == "sent"


def test_the_send_log_is_for_administrators_only(officer, admin_client):
    DigestSend.objects.create(user=officer, kind="daily", period=today())
    client = Client()
    client.force_login(officer)
    assert (
        client.get(reverse("admin:outreach_digestsend_changelist")).status_code == 403
    )
    assert (
        admin_client.get(reverse("admin:outreach_digestsend_changelist")).status_code
        == 200
    )


def test_the_send_log_makes_a_bounded_number_of_queries(
    admin_client, django_assert_max_num_queries
):
    for n in range(15):
        user = UserFactory()
        DigestSend.objects.create(user=user, kind="daily", period=days(-n))
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("admin:outreach_digestsend_changelist"))
    assert response.status_code == 200


def test_planning_digests_makes_a_bounded_number_of_queries_per_user(
    officer, django_assert_max_num_queries
):
    for _n in range(10):
        UserFactory()
    # One query for the users, then a constant few per user (a savepoint,
    # a look-up and an insert).
    with django_assert_max_num_queries(1 + 11 * 6):
        planned = digests_plan()
    assert len(planned) == 11
