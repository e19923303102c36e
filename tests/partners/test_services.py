"""Services behind the partners admin: follow-ups, engagements, partners."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from partners.models import Contact, Engagement, FollowUp
from partners.services import (
    contact_anonymise,
    engagement_initial,
    engagement_log,
    followup_complete,
    followup_default_due_date,
    partner_deactivate,
)
from tests.factories import (
    ContactFactory,
    EngagementFactory,
    FollowUpFactory,
    PartnerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_a_followup_is_due_in_two_weeks_by_default():
    assert followup_default_due_date(today=dt.date(2025, 12, 24)) == dt.date(2026, 1, 7)
    assert followup_default_due_date() == timezone.localdate() + dt.timedelta(14)


def test_engagement_initial_puts_the_user_on_it_today():
    user = UserFactory()
    assert engagement_initial(user=user) == {
        "date": timezone.localdate(),
        "staff": [user.pk],
    }


def test_it_completes_an_open_followup_today():
    followup = FollowUpFactory()

    assert followup_complete(followup=followup) is True

    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.DONE
    assert followup.done_on == timezone.localdate()


def test_it_completes_a_followup_on_a_given_date():
    followup = FollowUpFactory()
    followup_complete(followup=followup, on=dt.date(2025, 6, 20))
    followup.refresh_from_db()
    assert followup.done_on == dt.date(2025, 6, 20)


def test_completing_a_done_followup_changes_nothing():
    followup = FollowUpFactory(status=FollowUp.Status.DONE, done_on=dt.date(2025, 6, 1))

    assert followup_complete(followup=followup) is False

    followup.refresh_from_db()
    assert followup.done_on == dt.date(2025, 6, 1)


def test_it_rejects_completing_a_cancelled_followup():
    followup = FollowUpFactory(status=FollowUp.Status.CANCELLED, description="Old idea")

    with pytest.raises(ValidationError, match="Old idea"):
        followup_complete(followup=followup)

    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.CANCELLED


def test_it_rejects_completing_a_followup_without_assignee():
    followup = FollowUpFactory(assignee=None)

    with pytest.raises(ValidationError, match="assignee"):
        followup_complete(followup=followup)

    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.OPEN


def test_it_logs_an_engagement_with_people_and_followups():
    user, colleague = UserFactory(), UserFactory()
    first, second = PartnerFactory(), PartnerFactory()
    contact = ContactFactory()

    engagement = engagement_log(
        created_by=user,
        subject="Bilateral at WSIS",
        partners=[first, second],
        contacts=[contact],
        date=dt.date(2025, 7, 8),
        followups=[
            {"description": "Send the brief", "assignee": colleague},
            {
                "description": "Draft MoU",
                "assignee": user,
                "partner": second,
                "due_date": dt.date(2025, 9, 1),
            },
        ],
    )

    assert engagement.created_by == user
    assert set(engagement.partners.all()) == {first, second}
    assert list(engagement.contacts.all()) == [contact]
    assert list(engagement.staff.all()) == [user]
    mou, brief = engagement.followups.order_by("description")
    assert (brief.partner, brief.assignee) == (first, colleague)
    assert brief.due_date == timezone.localdate() + dt.timedelta(days=14)
    assert (mou.partner, mou.due_date) == (second, dt.date(2025, 9, 1))


def test_it_rejects_an_engagement_without_partners():
    with pytest.raises(ValidationError, match="at least one partner"):
        engagement_log(created_by=UserFactory(), subject="Nobody", partners=[])


def test_it_logs_nothing_when_a_followup_is_invalid():
    with pytest.raises(ValidationError, match="assignee"):
        engagement_log(
            created_by=UserFactory(),
            subject="Half done",
            partners=[PartnerFactory()],
            followups=[{"description": "Who?", "assignee": None}],
        )

    assert not Engagement.objects.exists()
    assert not FollowUp.objects.exists()


def test_it_deactivates_a_partner_once():
    partner = PartnerFactory()

    assert partner_deactivate(partner=partner) is True
    assert partner_deactivate(partner=partner) is False

    partner.refresh_from_db()
    assert partner.is_active is False


def test_it_anonymises_a_contact_and_keeps_the_engagements():
    contact = ContactFactory(
        first_name="Amina",
        last_name="Diallo",
        email="amina@example.org",
        phone="+41 22 000 00 00",
        notes="Prefers French",
        languages="French",
    )
    contact.last_name = "Diallo-Ba"
    contact.save()
    engagement = EngagementFactory(contacts=[contact])

    assert contact_anonymise(contact=contact) is True
    assert contact_anonymise(contact=contact) is False

    contact = Contact.objects.get(pk=contact.pk)
    assert str(contact) == f"Anonymised contact {contact.pk}"
    assert (contact.email, contact.phone, contact.notes, contact.languages) == (
        "",
        "",
        "",
        "",
    )
    assert contact.do_not_contact
    assert list(contact.engagements.all()) == [engagement]
    for version in contact.history.all():
        assert version.first_name == ""
        assert version.email == ""
        assert "Diallo" not in version.last_name
    assert contact.history.first().history_change_reason == "anonymised on request"


def test_the_anonymise_action_of_the_contact_list(admin_client):
    contact = ContactFactory(last_name="Okafor", email="okafor@example.org")
    response = admin_client.post(
        "/admin/partners/contact/",
        {"action": "anonymise", "_selected_action": [contact.pk]},
        follow=True,
    )
    assert "1 contact anonymised." in response.content.decode()
    contact.refresh_from_db()
    assert (contact.last_name, contact.email) == (
        f"Anonymised contact {contact.pk}",
        "",
    )
