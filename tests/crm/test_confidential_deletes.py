"""Delete confirmations name no confidential record to those who may not see it.

An Administrator (every delete permission, not the confidential one) asks to
delete records that a confidential engagement or its follow-up depends on:
the page names neither, says how many there are, and the deletion is refused.
"""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core import checks
from django.urls import reverse

from crm.admin_confidential import check_confidential_deletes
from crm.roles import ADMINISTRATOR, roles_setup
from partners.models import Contact, Engagement, Event, FollowUp, Partner
from tests.factories import (
    ContactFactory,
    EngagementFactory,
    EventFactory,
    FollowUpFactory,
    PartnerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SECRET = "Operation Kestrel"
SECRET_TASK = "Call Kestrel back"
REFUSAL = re.compile(r"\d+ confidential records? you cannot see depends? on this")


@pytest.fixture
def world(db):
    partner = PartnerFactory(name="Donor")
    contact = ContactFactory(last_name="Quill")
    event = EventFactory(name="Side event")
    assignee = UserFactory(username="assignee")
    secret = EngagementFactory(
        partners=[partner],
        contacts=[contact],
        subject=SECRET,
        confidential=True,
        event=event,
    )
    secret.staff.set([assignee])
    FollowUpFactory(
        partner=partner, engagement=secret, description=SECRET_TASK, assignee=assignee
    )
    return {
        "partner": partner,
        "contact": contact,
        "event": event,
        "assignee": assignee,
        "secret": secret,
    }


def _administrator(*, confidential: bool = False):
    roles_setup()
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=ADMINISTRATOR))
    if confidential:
        user.user_permissions.add(
            Permission.objects.get(codename="view_confidential_engagement")
        )
    return user


@pytest.fixture
def administrator(client, world):
    client.force_login(_administrator())
    return client


def _delete_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])


@pytest.mark.parametrize("record", ["partner", "contact", "event", "assignee"])
def test_the_delete_page_counts_them_and_names_none(administrator, world, record):
    html = administrator.get(_delete_url(world[record])).content.decode()

    assert SECRET not in html
    assert SECRET_TASK not in html
    assert REFUSAL.search(html)
    assert "Yes, I’m sure" not in html


@pytest.mark.parametrize("record", ["contact", "event", "assignee"])
def test_the_deletion_is_refused(administrator, world, record):
    obj = world[record]

    response = administrator.post(_delete_url(obj), {"post": "yes"})

    assert REFUSAL.search(response.content.decode())
    assert type(obj).objects.filter(pk=obj.pk).exists()
    secret = world["secret"]
    assert list(secret.contacts.all()) == [world["contact"]]
    assert list(secret.staff.all()) == [world["assignee"]]


def test_an_engagement_with_a_hidden_followup_is_never_offered(administrator, world):
    # The engagement itself is hidden: its delete page is not found.
    response = administrator.get(_delete_url(world["secret"]))

    assert response.status_code == 404


def test_delete_selected_counts_them_and_deletes_nothing(administrator, world):
    other = ContactFactory(last_name="Open")
    url = reverse("admin:partners_contact_changelist")
    data = {
        "action": "delete_selected",
        "_selected_action": [world["contact"].pk, other.pk],
    }

    page = administrator.post(url, data).content.decode()
    confirmed = administrator.post(url, {**data, "post": "yes"})

    assert SECRET not in page
    assert REFUSAL.search(page)
    assert REFUSAL.search(confirmed.content.decode())
    assert Contact.objects.filter(pk__in=[world["contact"].pk, other.pk]).count() == 2


def test_visible_blockers_are_still_listed(administrator, world):
    open_ = EngagementFactory(partners=[world["partner"]], subject="Open briefing")

    html = administrator.get(_delete_url(world["partner"])).content.decode()

    assert str(open_) in html
    assert SECRET not in html
    assert REFUSAL.search(html)


def test_a_deletion_reaching_nothing_hidden_is_unchanged(administrator):
    contact = ContactFactory(last_name="Alone")

    administrator.post(_delete_url(contact), {"post": "yes"})

    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_the_trusted_see_the_names(client, world):
    client.force_login(_administrator(confidential=True))

    html = client.get(_delete_url(world["event"])).content.decode()

    assert SECRET in html
    assert not REFUSAL.search(html)


def test_the_check_names_an_admin_that_forgets_the_mixin(world):
    class PlainEventAdmin(admin.ModelAdmin):
        pass

    original = admin.site.get_model_admin(Event)
    admin.site.unregister(Event)
    admin.site.register(Event, PlainEventAdmin)
    try:
        errors = check_confidential_deletes()
    finally:
        admin.site.unregister(Event)
        admin.site.register(Event, type(original))

    assert [e.id for e in errors] == ["crm.E101"]
    assert isinstance(errors[0], checks.Error)
    assert "partners.Event" in errors[0].msg


def test_the_admins_pass_the_check():
    assert check_confidential_deletes() == []
    for model in (Partner, Contact, Event, Engagement, FollowUp):
        assert admin.site.is_registered(model)
