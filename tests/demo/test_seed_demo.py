"""manage.py seed_demo and demo_user: realistic, deterministic, idempotent."""

from __future__ import annotations

import datetime as dt
import io
import random
import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from crm.models import Country
from demo import catalogue
from demo.history import HISTORY_DAYS, plan_engagements, plan_events
from demo.people import member_states, plan_people
from partners.models import (
    Affiliation,
    Contact,
    Engagement,
    Event,
    FollowUp,
    Membership,
    Partner,
)

ARABIC = re.compile("[\u0600-\u06ff]")
CJK = re.compile("[\u4e00-\u9fff]")
CYRILLIC = re.compile("[\u0400-\u04ff]")
ACCENTED = re.compile("[À-ÖØ-öø-ž]")


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Reference and demo data, once for the module, rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        run("seed_reference")
        output = run("seed_demo")
        yield output
        transaction.set_rollback(True)


pytestmark = pytest.mark.usefixtures("seeded", "db")


def row_counts() -> dict[str, int]:
    """Rows in every table the seeds write to, whichever apps ship demo data."""
    labels = {"auth", "crm", "partners", "pledges", "reports"}
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in labels
    }


def test_seed_demo_asks_for_the_reference_data_first():
    # Hide the reference data, inside this test's transaction.
    Country.objects.update(is_itu_member_state=False)
    Partner.objects.filter(code__startswith="GOV-").update(code=None)
    with pytest.raises(CommandError, match="seed_reference"):
        run("seed_demo")


def test_it_reports_what_it_created(seeded):
    assert "engagements: " in seeded
    assert "Demo data loaded" in seeded


def test_there_are_overdue_and_upcoming_followups_for_staff():
    overdue = FollowUp.objects.overdue()
    upcoming = FollowUp.objects.upcoming(days=14)
    assert overdue.count() >= 5
    assert upcoming.count() >= 5
    assert FollowUp.objects.filter(status=FollowUp.Status.DONE).count() >= 20
    staff = {member.username for member in catalogue.staff()}
    assignees = set(
        FollowUp.objects.values_list("assignee__username", flat=True).distinct()
    )
    assert assignees <= staff
    assert not FollowUp.objects.filter(
        status=FollowUp.Status.DONE, done_on__isnull=True
    ).exists()


def test_there_are_about_400_engagements_over_the_last_two_years():
    today = timezone.localdate()
    assert 350 <= Engagement.objects.count() <= 450
    first = today - dt.timedelta(days=HISTORY_DAYS)
    assert not Engagement.objects.exclude(date__range=(first, today)).exists()
    recent = Engagement.objects.filter(date__gte=today - dt.timedelta(days=183))
    assert recent.count() >= 100


def test_engagements_are_mostly_meetings_calls_and_emails():
    kinds = list(Engagement.objects.values_list("kind", flat=True))
    common = sum(kind in {"meeting", "call", "email"} for kind in kinds)
    assert common / len(kinds) > 0.6
    assert Engagement.objects.filter(confidential=True).exists()
    assert Engagement.objects.filter(event__isnull=False).count() >= 20


def test_every_engagement_has_partners_staff_and_notes():
    assert not Engagement.objects.filter(partners__isnull=True).exists()
    assert not Engagement.objects.filter(staff__isnull=True).exists()
    assert not Engagement.objects.filter(summary="").exists()
    # Contacts belong to one of the engagement's partners.
    for engagement in Engagement.objects.prefetch_related(
        "partners", "contacts__affiliations"
    )[:100]:
        partner_ids = {p.pk for p in engagement.partners.all()}
        for contact in engagement.contacts.all():
            assert partner_ids & {a.partner_id for a in contact.affiliations.all()}


def test_contact_names_include_arabic_chinese_cyrillic_and_accents():
    names = [
        f"{first} {last}"
        for first, last in Contact.objects.values_list("first_name", "last_name")
    ]
    for script in (ARABIC, CJK, CYRILLIC, ACCENTED):
        assert any(script.search(name) for name in names), script.pattern


def test_ambassadors_rotate_and_the_predecessor_stays_on_record():
    ambassadors = Affiliation.objects.filter(role=Affiliation.Role.AMBASSADOR)
    assert ambassadors.filter(end_date__isnull=True).count() >= 55
    former = ambassadors.filter(end_date__isnull=False).first()
    assert former is not None
    successor = ambassadors.get(partner=former.partner, end_date__isnull=True)
    assert successor.start_date > former.end_date
    assert successor.is_primary and not former.is_primary


def test_every_seeded_membership_passes_full_clean():
    memberships = Membership.objects.select_related("partner__country")
    for membership in memberships:
        membership.full_clean()
    member_states = memberships.filter(type=Membership.Type.MEMBER_STATE)
    assert member_states.count() == 194
    assert memberships.exclude(type=Membership.Type.MEMBER_STATE).count() >= 20
    assert memberships.filter(arrears_chf__gt=0).count() >= 10
    assert member_states.filter(contribution_class__lt="0.25").exists()  # LDCs


def test_only_the_seeded_member_states_are_government_partners():
    governments = Partner.objects.filter(category=Partner.Category.GOVERNMENT)
    assert governments.count() == 195
    assert not governments.exclude(code__startswith="GOV-").exists()
    demo_partners = Partner.objects.filter(code__startswith="DEMO-")
    assert 35 <= demo_partners.count() <= 50
    assert demo_partners.filter(parent__isnull=False).count() >= 3
    assert demo_partners.filter(tags__name="AI for Good").exists()


def test_staff_users_are_task_force_members_who_cannot_log_in():
    staff = catalogue.staff()
    users = get_user_model().objects.filter(
        username__in=[member.username for member in staff]
    )
    assert users.count() == len(staff) >= 6
    for user in users:
        assert user.is_staff and not user.is_superuser
        assert not user.has_usable_password()


def test_events_include_the_flagships_of_the_last_years():
    year = timezone.localdate().year
    names = set(Event.objects.values_list("name", flat=True))
    for offset in (0, 1, 2):
        assert f"AI for Good Global Summit {year - offset}" in names
        assert f"WSIS Forum {year - offset}" in names


def test_a_second_run_creates_nothing():
    before = row_counts()
    output = run("seed_demo")
    assert row_counts() == before
    assert " 0 created" in output


def test_a_run_on_a_later_day_adds_no_shifted_history():
    before = row_counts()
    later = timezone.localdate() + dt.timedelta(days=3)
    run("seed_demo", "--today", later.isoformat())
    assert row_counts()["partners.Engagement"] == before["partners.Engagement"]
    assert row_counts()["partners.Contact"] == before["partners.Contact"]


NEW_ORGANISATION = {
    "code": "DEMO-TESSERA",
    "name": "Tessera Mesh Networks",
    "short_name": "Tessera",
    "category": "private_sector",
    "country": "KEN",
    "domain": "tessera-mesh.example",
    "tags": ["Smart Villages"],
}
NEW_CONTACT = {
    "title": "Ms",
    "first_name": "Achieng",
    "last_name": "Odhiambo",
    "job_title": "Chief Executive Officer",
    "role": "head",
}


def test_an_organisation_added_to_the_data_files_becomes_a_demo_partner(edit):
    edit("organisations", lambda orgs: orgs.append(NEW_ORGANISATION))
    edit(
        "organisation_contacts",
        lambda people: people.update({"DEMO-TESSERA": [NEW_CONTACT]}),
    )
    output = run("seed_demo")
    assert "partners: 1 created, 43 existing" in output
    partner = Partner.objects.get(code="DEMO-TESSERA")
    assert partner.name == "Tessera Mesh Networks"
    assert partner.country.iso3 == "KEN"
    assert list(partner.tags.values_list("name", flat=True)) == ["Smart Villages"]
    contact = Contact.objects.get(email="achieng.odhiambo@tessera-mesh.example")
    assert contact.affiliations.get().partner == partner


def test_a_data_file_that_does_not_fit_stops_the_seed_and_writes_nothing(edit):
    before = row_counts()
    edit("organisations", lambda orgs: orgs.append(NEW_ORGANISATION))
    # The meetings are seeded last: the partners and pledges are written first.
    edit("meetings", lambda meetings: meetings["company"].pop("objectives"))
    with pytest.raises(
        CommandError,
        match=re.escape(
            "meetings.json, top level, field 'company': field 'objectives' is missing"
        ),
    ):
        run("seed_demo")
    assert row_counts() == before
    assert not Partner.objects.filter(code="DEMO-TESSERA").exists()


def test_the_plan_is_the_same_for_the_same_seed_and_date():
    today = dt.date(2026, 3, 14)
    states = member_states()

    def plan():
        contacts, affiliations = plan_people(random.Random(7), today, states)
        events = plan_events(today)
        classes = {s.code: "1" for s in states if s.is_member}
        engagements = plan_engagements(
            random.Random(8), today, states, contacts, affiliations, events, classes
        )
        return contacts, affiliations, engagements

    assert plan() == plan()


def test_demo_user_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        run("demo_user")
    assert not get_user_model().objects.filter(username="demo").exists()


def test_demo_user_creates_then_resets_the_demo_superuser(settings):
    settings.DEBUG = True
    output = run("demo_user")
    assert "http://127.0.0.1:8000/admin/" in output
    assert "demo-partner-crm" in output
    user = get_user_model().objects.get(username="demo")
    assert user.is_superuser and user.is_staff
    assert user.check_password("demo-partner-crm")
    user.set_password("changed")
    user.is_active = False
    user.save()
    assert "Reset" in run("demo_user")
    user.refresh_from_db()
    assert user.is_active and user.check_password("demo-partner-crm")


def test_every_seeded_record_has_a_first_version_in_its_history():
    from partners.models import Engagement, Partner
    from pledges.models import Pledge

    for model in (Partner, Engagement, Pledge):
        assert model.history.count() >= model.objects.count() > 0
        record = model.objects.order_by("pk").last()
        assert record.history.filter(history_type="+").exists()
