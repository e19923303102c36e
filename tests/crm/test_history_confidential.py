"""What was written under confidentiality stays hidden, after declassification too.

A superuser logs a confidential engagement with a follow-up, then makes it
public with new wording; a task-force member without the confidential
permission reads the History pages of both and sees only the public wording.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from partners.models import Engagement, FollowUp
from tests.factories import EngagementFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "Kestrel offers forty million"
SECRET_TASK = "Draft the Kestrel side letter"


def history_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])


def version_url(obj, version) -> str:
    opts = obj._meta
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_simple_history",
        args=[obj.pk, version.history_id],
    )


def _engagement_form(*, confidential: bool, summary: str, partner, assignee):
    form = {
        "date": "2025-06-01",
        "kind": "meeting",
        "subject": "Courtesy call",
        "summary": summary,
        "partners": [partner.pk],
        "followups-TOTAL_FORMS": 1,
        "followups-INITIAL_FORMS": 0,
        "followups-0-description": SECRET_TASK,
        "followups-0-due_date": "2025-06-15",
        "followups-0-status": "open",
        "followups-0-assignee": assignee.pk,
    }
    if confidential:
        form["confidential"] = "on"
    return form


@pytest.fixture
def declassified(admin_client, superuser):
    """An engagement and follow-up written confidential, then made public."""
    partner = PartnerFactory()
    response = admin_client.post(
        reverse("admin:partners_engagement_add"),
        _engagement_form(
            confidential=True, summary=SECRET, partner=partner, assignee=superuser
        ),
    )
    assert response.status_code == 302, response.context["errors"]
    engagement = Engagement.objects.get()
    followup = FollowUp.objects.get()
    form = _engagement_form(
        confidential=False,
        summary="A courtesy call",
        partner=partner,
        assignee=superuser,
    )
    form |= {"followups-TOTAL_FORMS": 0}
    response = admin_client.post(
        reverse("admin:partners_engagement_change", args=[engagement.pk]), form
    )
    assert response.status_code == 302, response.context["errors"]
    followup.description = "Send thanks"
    followup.save()
    return engagement, followup


@pytest.fixture
def plain(db):
    client = Client()
    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="partners").exclude(
            codename="view_confidential_engagement"
        )
    )
    client.force_login(user)
    return client


@pytest.mark.parametrize("record", [0, 1], ids=["engagement", "followup"])
def test_the_history_page_hides_what_was_written_while_confidential(
    plain, declassified, record
):
    obj = declassified[record]

    response = plain.get(history_url(obj))

    text = response.content.decode()
    assert response.status_code == 200
    assert SECRET not in text
    assert SECRET_TASK not in text
    assert len(response.context["page_obj"]) == 1  # the public version only


@pytest.mark.parametrize("record", [0, 1], ids=["engagement", "followup"])
def test_a_confidential_version_typed_directly_is_not_found(
    plain, declassified, record
):
    obj = declassified[record]
    hidden, public = obj.history.order_by("history_date")

    assert plain.get(version_url(obj, hidden)).status_code == 404
    assert plain.get(version_url(obj, public)).status_code == 200


def test_the_trusted_read_every_version(admin_client, declassified):
    engagement, followup = declassified

    engagement_page = admin_client.get(history_url(engagement)).content.decode()
    followup_page = admin_client.get(history_url(followup)).content.decode()

    assert SECRET in engagement_page
    assert SECRET_TASK in followup_page


def test_versions_written_before_it_was_confidential_stay_readable(plain):
    engagement = EngagementFactory(summary="Opening remarks")
    engagement.confidential = True
    engagement.summary = SECRET
    engagement.save()
    engagement.confidential = False
    engagement.summary = "Closing remarks"
    engagement.save()

    page = plain.get(history_url(engagement))

    versions = [v.summary for v in page.context["page_obj"]]
    assert versions[0] == "Closing remarks"
    assert set(versions) == {"Closing remarks", "Opening remarks"}
    assert SECRET not in page.content.decode()
