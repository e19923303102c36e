"""The partners admin: lists, pages, filters, actions and what each user sees."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partners.admin import PartnerAdmin
from partners.models import (
    Affiliation,
    Engagement,
    FollowUp,
    Membership,
    Partner,
    UnitValue,
)
from tests.factories import (
    AffiliationFactory,
    ContactFactory,
    CountryAliasFactory,
    CountryFactory,
    EngagementFactory,
    EventFactory,
    FollowUpFactory,
    GovernmentFactory,
    MembershipFactory,
    PartnerFactory,
    TagFactory,
    UnitValueFactory,
    UserFactory,
)
from tests.partners.test_search import SEARCHES

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


def changelist(model: str) -> str:
    return reverse(f"admin:partners_{model}_changelist")


def change(obj) -> str:
    return reverse(f"admin:partners_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.fixture
def staff_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def home():
    """One country for the many partners of a list (the factory's ISO-2 codes
    run out after 52 countries)."""
    return CountryFactory(iso3="ZZZ", iso2="ZZ", m49=899, name_en="Testland")


def partner(**kwargs) -> Partner:
    return PartnerFactory(country=home(), **kwargs)


# Rows rich enough that any per-row query would show: every relation filled.


def partner_rows(n: int, user) -> None:
    tag = TagFactory(name="Decision 5")
    for _ in range(n):
        partner = PartnerFactory(owner=user, country=home())
        partner.tags.add(tag)
        MembershipFactory(
            partner=partner,
            type=Membership.Type.SECTOR_MEMBER,
            sector=Membership.Sector.T,
        )
        AffiliationFactory(partner=partner, contact=ContactFactory())
        EngagementFactory(partners=[partner])
        FollowUpFactory(partner=partner, assignee=user, due_date=days(-3))
        FollowUpFactory(partner=partner, assignee=user, due_date=days(5))


def membership_rows(n: int, user) -> None:
    UnitValueFactory(year=today().year)
    for i in range(n):
        MembershipFactory(
            contribution_class=Decimal("0.5") if i % 2 else Decimal("1"),
            arrears_chf=Decimal("10.00"),
        )


def contact_rows(n: int, user) -> None:
    for _ in range(n):
        contact = ContactFactory()
        AffiliationFactory(contact=contact, partner=partner())
        AffiliationFactory(
            contact=contact, partner=partner(), end_date=dt.date(2024, 12, 31)
        )


def affiliation_rows(n: int, user) -> None:
    for _ in range(n):
        AffiliationFactory(partner=partner())


def event_rows(n: int, user) -> None:
    for _ in range(n):
        event = EventFactory(country=home())
        engagement = EngagementFactory(partners=[partner()])
        engagement.event = event
        engagement.save()


def engagement_rows(n: int, user) -> None:
    event = EventFactory()
    for _ in range(n):
        engagement = EngagementFactory(
            partners=[partner(), partner()],
            contacts=[ContactFactory()],
        )
        engagement.staff.add(user, UserFactory())
        engagement.event = event
        engagement.save()


def followup_rows(n: int, user) -> None:
    for _ in range(n):
        FollowUpFactory(
            assignee=user,
            engagement=EngagementFactory(partners=[partner()]),
            partner=partner(),
            due_date=days(-1),
        )


def tag_rows(n: int, user) -> None:
    for _ in range(n):
        partner().tags.add(TagFactory())


def unitvalue_rows(n: int, user) -> None:
    start = 1990 + UnitValue.objects.count()
    for i in range(n):
        UnitValueFactory(year=start + i)


ROWS = {
    "partner": partner_rows,
    "membership": membership_rows,
    "contact": contact_rows,
    "affiliation": affiliation_rows,
    "event": event_rows,
    "engagement": engagement_rows,
    "followup": followup_rows,
    "tag": tag_rows,
    "unitvalue": unitvalue_rows,
}


# Smoke tests: every admin lists, searches, adds and changes.


@pytest.mark.parametrize("model", sorted(ROWS))
def test_every_changelist_lists_searches_and_opens_its_pages(
    admin_client, superuser, model
):
    ROWS[model](2, superuser)
    assert admin_client.get(changelist(model)).status_code == 200
    assert admin_client.get(changelist(model), {"q": "a"}).status_code == 200
    assert admin_client.get(changelist(model), {"_facets": "1"}).status_code == 200
    add = reverse(f"admin:partners_{model}_add")
    assert admin_client.get(add).status_code == 200
    obj = admin_client.get(changelist(model)).context["cl"].result_list[0]
    assert admin_client.get(change(obj)).status_code == 200


@pytest.mark.parametrize("model", sorted(ROWS))
def test_changelist_queries_do_not_grow_with_rows(
    admin_client, superuser, django_assert_max_num_queries, model
):
    ROWS[model](5, superuser)
    few = count_queries(admin_client, changelist(model))
    ROWS[model](25, superuser)
    with django_assert_max_num_queries(few):
        response = admin_client.get(changelist(model))
    assert response.context["cl"].result_count >= 30
    assert few <= 20


def test_changelists_stay_bounded_when_searched_and_filtered(
    admin_client, superuser, django_assert_max_num_queries
):
    partner_rows(30, superuser)
    url = changelist("partner")
    with django_assert_max_num_queries(20):
        response = admin_client.get(
            url,
            {
                "q": "Partner",
                "overdue": "yes",
                "memberships__type__exact": "sector_member",
            },
        )
    assert response.context["cl"].result_count == 30


@pytest.mark.parametrize("model", sorted(ROWS))
def test_every_changelist_offers_delete_selected(admin_client, superuser, model):
    ROWS[model](1, superuser)
    obj = admin_client.get(changelist(model)).context["cl"].result_list[0]

    response = admin_client.post(
        changelist(model), {"action": "delete_selected", "_selected_action": [obj.pk]}
    )

    assert response.status_code == 200
    assert "delete-confirmation" in response.content.decode()


def test_pages_keep_to_the_content_security_policy(admin_client, superuser):
    partner_rows(2, superuser)
    partner = Partner.objects.first()
    contact = partner.affiliations.first().contact
    for url in [
        reverse("admin:index"),
        changelist("partner"),
        change(partner),
        change(contact),
        reverse("admin:partners_engagement_add"),
        changelist("followup"),
    ]:
        response = admin_client.get(url)
        html = response.content.decode()
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert 'style="' not in html, url
        assert "<style" not in html, url
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert all("src=" in tag or "application/json" in tag for tag in scripts), url


# Partner list


def test_partner_list_shows_activity_from_annotations(admin_client, superuser):
    partner = PartnerFactory(name="Ministry of ICT", short_name="MICT")
    EngagementFactory(partners=[partner], date=dt.date(2026, 3, 2))
    EngagementFactory(partners=[partner], date=dt.date(2025, 1, 5))
    FollowUpFactory(partner=partner, due_date=days(-2))
    FollowUpFactory(partner=partner, due_date=days(10))
    FollowUpFactory(partner=partner, due_date=days(-9), status=FollowUp.Status.DONE)

    response = admin_client.get(changelist("partner"))

    row = response.context["cl"].result_list[0]
    assert row.last_engagement_on == dt.date(2026, 3, 2)
    assert (row.open_followup_count, row.overdue_followup_count) == (2, 1)
    html = response.content.decode()
    assert 'class="crm-overdue"' in html
    assert "2 (1 overdue)" in html
    assert "crm/admin.css" in html


def test_partner_search_finds_a_country_by_any_alias(admin_client):
    korea = CountryFactory(name_en="Republic of Korea", itu_name="Korea (Rep. of)")
    CountryAliasFactory(country=korea, name="South Korea")
    CountryAliasFactory(country=korea, name="Korea (Rep. of)")
    seoul = PartnerFactory(name="Korea Telecom", country=korea)
    ministry = GovernmentFactory(country=korea, name="Government of the ROK")
    PartnerFactory(name="Other partner")

    for term in ["South Korea", "Korea (Rep. of)", "korea, republic of"]:
        response = admin_client.get(changelist("partner"), {"q": term})
        found = set(response.context["cl"].result_list)
        assert found == {seoul, ministry}, term


def test_partner_search_finds_acronym_code_and_contact_email(admin_client):
    wb = PartnerFactory(name="World Bank Group", short_name="WBG", code="igo-wbg")
    AffiliationFactory(partner=wb, contact=ContactFactory(email="k.ito@worldbank.org"))
    PartnerFactory(name="Other")

    for term in ["WBG", "igo-wbg", "worldbank.org"]:
        response = admin_client.get(changelist("partner"), {"q": term})
        assert list(response.context["cl"].result_list) == [wb], term


@pytest.mark.parametrize(("term", "expected"), SEARCHES)
def test_the_partner_search_box_finds_what_the_search_finds(
    admin_client, search_partners, term, expected
):
    response = admin_client.get(changelist("partner"), {"q": term})

    found = set(response.context["cl"].result_list)
    assert found == {search_partners[key] for key in expected}
    assert found == set(Partner.objects.search(term))


def test_has_overdue_followups_filter(admin_client):
    late = PartnerFactory(name="Late")
    FollowUpFactory(partner=late, due_date=days(-1))
    on_time = PartnerFactory(name="On time")
    FollowUpFactory(partner=on_time, due_date=days(3))
    FollowUpFactory(partner=on_time, due_date=days(-3), status=FollowUp.Status.DONE)

    yes = admin_client.get(changelist("partner"), {"overdue": "yes"})
    no = admin_client.get(changelist("partner"), {"overdue": "no"})

    assert list(yes.context["cl"].result_list) == [late]
    assert list(no.context["cl"].result_list) == [on_time]


def test_last_contact_filter_lists_quiet_active_partners(admin_client):
    quiet = PartnerFactory(name="Quiet")
    EngagementFactory(partners=[quiet], date=days(-400))
    never = PartnerFactory(name="Never met")
    recent = PartnerFactory(name="Recent")
    EngagementFactory(partners=[recent], date=days(-10))
    PartnerFactory(name="Retired", is_active=False)

    stale = admin_client.get(changelist("partner"), {"contacted": "stale"})
    fresh = admin_client.get(changelist("partner"), {"contacted": "recent"})

    assert set(stale.context["cl"].result_list) == {quiet, never}
    assert list(fresh.context["cl"].result_list) == [recent]


@pytest.mark.parametrize(
    "params",
    [
        {"category__exact": "private_sector"},
        {"memberships__type__exact": "sector_member"},
        {"memberships__sector__exact": "ITU-T"},
        {"country__itu_region__exact": "EUR"},
        {"country__is_itu_member_state__exact": "1"},
        {"is_active__exact": "1"},
        {"priority__exact": "2"},
        {"contacted": "never"},
    ],
)
def test_partner_filters_apply(admin_client, superuser, params):
    partner_rows(2, superuser)
    response = admin_client.get(changelist("partner"), params)
    assert response.status_code == 200
    assert "e" not in response.context["cl"].params


def test_partner_filters_on_owner_country_and_tag(admin_client, superuser):
    partner_rows(2, superuser)
    partner = Partner.objects.first()
    tag = partner.tags.get()
    for params in [
        {"owner__id__exact": superuser.pk},
        {"country__id__exact": partner.country_id},
        {"tags__id__exact": tag.pk},
    ]:
        response = admin_client.get(changelist("partner"), params)
        assert partner in response.context["cl"].result_list, params


# Partner page


def test_partner_page_shows_memberships_contacts_timeline_and_followups(
    admin_client,
):
    partner = GovernmentFactory()
    MembershipFactory(partner=partner, contribution_class=Decimal("1.5"))
    AffiliationFactory(
        partner=partner,
        contact=ContactFactory(last_name="Former"),
        role=Affiliation.Role.AMBASSADOR,
        start_date=dt.date(2019, 1, 1),
        end_date=dt.date(2023, 6, 30),
    )
    current = AffiliationFactory(
        partner=partner,
        contact=ContactFactory(last_name="Current"),
        role=Affiliation.Role.AMBASSADOR,
        start_date=dt.date(2023, 7, 1),
    )
    old = EngagementFactory(partners=[partner], subject="Old talk", date=days(-90))
    new = EngagementFactory(
        partners=[partner],
        subject="New talk",
        date=days(-2),
        contacts=[current.contact],
    )
    FollowUpFactory(
        partner=partner, engagement=old, description="Late one", due_date=days(-1)
    )
    FollowUpFactory(partner=partner, description="Next one", due_date=days(7))

    response = admin_client.get(change(partner))

    html = response.content.decode()
    affiliations = response.context["inline_admin_formsets"][1].formset.queryset
    assert [a.contact.last_name for a in affiliations] == ["Current", "Former"]
    timeline = html[html.index('id="crm-engagements"') :]
    followups = html[html.index('id="crm-followups"') :]
    assert timeline.index("New talk") < timeline.index("Old talk")
    assert followups.index("Late one") < followups.index("Next one")
    assert "crm-overdue-row" in html
    assert 'id="crm-engagements"' in html
    assert 'id="crm-followups"' in html
    assert change(new) in html


def test_partner_timeline_is_capped_with_a_link_to_the_full_list(admin_client):
    partner = PartnerFactory()
    for i in range(PartnerAdmin.timeline_limit + 3):
        EngagementFactory(partners=[partner], date=days(-i))

    response = admin_client.get(change(partner))

    html = response.content.decode()
    assert "Showing the latest 50 of 53." in html
    assert f"{changelist('engagement')}?partner={partner.pk}" in html
    listed = admin_client.get(changelist("engagement"), {"partner": partner.pk})
    assert listed.context["cl"].result_count == 53


def test_log_engagement_link_prefills_the_partner_and_the_user(admin_client, superuser):
    partner = PartnerFactory()

    page = admin_client.get(change(partner)).content.decode()
    link = f"{reverse('admin:partners_engagement_add')}?partners={partner.pk}"
    # from_partner: saving returns to the partner's overview.
    assert f'href="{link}&amp;from_partner={partner.pk}"' in page
    assert "View engagements" in page

    form = admin_client.get(link).context["adminform"].form
    assert form.initial["partners"] == [str(partner.pk)]
    assert form.initial["staff"] == [superuser.pk]
    assert form.initial["date"] == today()


def test_partner_page_view_engagements_link_lists_them(admin_client):
    partner = PartnerFactory()
    mine = EngagementFactory(partners=[partner])
    EngagementFactory()

    response = admin_client.get(changelist("engagement"), {"partner": partner.pk})

    assert list(response.context["cl"].result_list) == [mine]
    assert str(partner) in response.content.decode()  # the filter shows


def test_new_partner_page_has_no_followup_inline(admin_client):
    response = admin_client.get(reverse("admin:partners_partner_add"))
    models = [f.formset.model for f in response.context["inline_admin_formsets"]]
    assert FollowUp not in models


def test_partner_can_be_added_with_a_membership(admin_client, superuser):
    country = CountryFactory()
    data = {
        "name": "Government of Testland",
        "category": "government",
        "country": country.pk,
        "priority": 1,
        "is_active": "on",
        "memberships-TOTAL_FORMS": 1,
        "memberships-INITIAL_FORMS": 0,
        "memberships-0-type": "member_state",
        "memberships-0-contribution_class": "1.5",
        "memberships-0-status": "active",
        "memberships-0-arrears_chf": "0",
        "affiliations-TOTAL_FORMS": 0,
        "affiliations-INITIAL_FORMS": 0,
    }

    response = admin_client.post(reverse("admin:partners_partner_add"), data)

    assert response.status_code == 302, response.context["errors"]
    partner = Partner.objects.get(name="Government of Testland")
    assert partner.memberships.get().contribution_class == Decimal("1.5")


def test_partner_page_followup_inline_marks_done(admin_client, superuser):
    partner = PartnerFactory(name="Partner X", category="private_sector")
    followup = FollowUpFactory(partner=partner, assignee=superuser, due_date=days(-1))
    data = {
        "name": partner.name,
        "category": partner.category,
        "country": partner.country_id,
        "priority": partner.priority,
        "is_active": "on",
        "memberships-TOTAL_FORMS": 0,
        "memberships-INITIAL_FORMS": 0,
        "affiliations-TOTAL_FORMS": 0,
        "affiliations-INITIAL_FORMS": 0,
        "followups-TOTAL_FORMS": 1,
        "followups-INITIAL_FORMS": 1,
        "followups-0-id": followup.pk,
        "followups-0-partner": partner.pk,
        "followups-0-description": followup.description,
        "followups-0-assignee": superuser.pk,
        "followups-0-due_date": followup.due_date.isoformat(),
        "followups-0-status": "done",
        "aliases-TOTAL_FORMS": 0,
        "aliases-INITIAL_FORMS": 0,
    }

    response = admin_client.post(change(partner), data)

    assert response.status_code == 302, response.context["errors"]
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.DONE
    assert followup.done_on == today()


# Deleting a partner with history


def test_deleting_a_partner_with_engagements_is_refused_with_an_explanation(
    admin_client,
):
    partner = PartnerFactory()
    engagement = EngagementFactory(partners=[partner], subject="Budget talk")
    url = reverse("admin:partners_partner_delete", args=[partner.pk])

    page = admin_client.get(url)
    posted = admin_client.post(url, {"post": "yes"})

    for response in (page, posted):
        assert response.status_code == 200
        html = response.content.decode()
        assert "cannot be deleted" in html
        assert "Budget talk" in html
        assert change(engagement) in html
    assert Partner.objects.filter(pk=partner.pk).exists()


def test_deleting_a_partner_with_a_membership_is_refused(admin_client):
    membership = MembershipFactory()
    url = reverse("admin:partners_partner_delete", args=[membership.partner_id])

    response = admin_client.post(url, {"post": "yes"})

    assert "cannot be deleted" in response.content.decode()
    assert str(membership) in response.content.decode()
    assert Partner.objects.filter(pk=membership.partner_id).exists()


def test_bulk_delete_of_partners_with_history_is_refused(admin_client):
    kept = PartnerFactory()
    EngagementFactory(partners=[kept], subject="Side event chat")
    data = {
        "action": "delete_selected",
        "_selected_action": [kept.pk],
        "post": "yes",
    }

    response = admin_client.post(changelist("partner"), data)

    html = response.content.decode()
    assert "cannot be deleted" in html
    assert "Side event chat" in html
    assert Partner.objects.filter(pk=kept.pk).exists()


def test_a_partner_without_history_can_be_deleted(admin_client):
    partner = PartnerFactory()
    AffiliationFactory(partner=partner)
    url = reverse("admin:partners_partner_delete", args=[partner.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Partner.objects.filter(pk=partner.pk).exists()


def test_delete_page_does_not_leak_confidential_subjects(staff_client):
    partner = PartnerFactory()
    EngagementFactory(partners=[partner], subject="Secret pledge", confidential=True)
    url = reverse("admin:partners_partner_delete", args=[partner.pk])

    html = staff_client.get(url).content.decode()

    assert "Secret pledge" not in html
    assert "1 confidential record you cannot see depends on this" in html


def test_mark_inactive_action(admin_client):
    partners = [PartnerFactory(), PartnerFactory(is_active=False)]

    response = admin_client.post(
        changelist("partner"),
        {"action": "mark_inactive", "_selected_action": [p.pk for p in partners]},
        follow=True,
    )

    assert "1 partner marked inactive." in response.content.decode()
    assert not Partner.objects.filter(is_active=True).exists()


# Confidential engagements


@pytest.fixture
def confidential(db):
    partner = PartnerFactory(name="Donor")
    secret = EngagementFactory(
        partners=[partner], subject="Secret pledge talk", confidential=True
    )
    open_ = EngagementFactory(partners=[partner], subject="Open briefing")
    FollowUpFactory(partner=partner, engagement=secret, description="Secret task")
    return partner, secret, open_


def test_staff_without_permission_do_not_see_confidential_engagements(
    staff_client, confidential
):
    partner, secret, open_ = confidential

    listed = staff_client.get(changelist("engagement"))
    timeline = staff_client.get(change(partner)).content.decode()
    followups = staff_client.get(changelist("followup"), {"assignee": "all"})
    page = staff_client.get(change(secret))

    assert list(listed.context["cl"].result_list) == [open_]
    assert "confidential" not in [f for f in listed.context["cl"].list_filter]
    assert "Secret pledge talk" not in timeline
    assert "Open briefing" in timeline
    assert "Secret task" not in followups.content.decode()
    assert page.status_code == 404


def test_superuser_sees_confidential_engagements(admin_client, confidential):
    partner, secret, open_ = confidential

    listed = admin_client.get(changelist("engagement"))
    timeline = admin_client.get(change(partner)).content.decode()
    followups = admin_client.get(changelist("followup"), {"assignee": "all"})

    assert set(listed.context["cl"].result_list) == {secret, open_}
    assert "Secret pledge talk" in timeline
    assert "Secret task" in followups.content.decode()


@pytest.mark.parametrize(
    "client_fixture, expected",
    [
        ("staff_client", ["Open briefing"]),
        ("admin_client", ["Open briefing", "Secret pledge talk"]),
    ],
)
def test_engagement_autocomplete_respects_confidentiality(
    request, confidential, client_fixture, expected
):
    client = request.getfixturevalue(client_fixture)
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "partners",
            "model_name": "followup",
            "field_name": "engagement",
            "term": "",
        },
    )

    assert response.status_code == 200
    texts = sorted(r["text"].split(": ", 1)[1] for r in response.json()["results"])
    assert texts == expected


def test_partner_counts_ignore_confidential_followups_for_staff(
    staff_client, confidential
):
    response = staff_client.get(changelist("partner"))
    row = response.context["cl"].result_list[0]
    assert row.open_followup_count == 0


def test_followup_form_refuses_a_confidential_engagement_to_staff(
    staff_client, staff_user, confidential
):
    partner, secret, _open = confidential
    data = {
        "description": "Sneak in",
        "engagement": secret.pk,
        "partner": partner.pk,
        "assignee": staff_user.pk,
        "due_date": days(3).isoformat(),
        "status": "open",
    }

    response = staff_client.post(reverse("admin:partners_followup_add"), data)

    assert response.status_code == 200
    assert "engagement" in response.context["adminform"].form.errors


# Engagements


def engagement_post(partners, user, **extra) -> dict:
    data = {
        "date": today().isoformat(),
        "kind": "meeting",
        "subject": "Ambassador's visit",
        "partners": [p.pk for p in partners],
        "staff": [user.pk],
        "summary": "",
        "outcome": "",
        "followups-TOTAL_FORMS": 1,
        "followups-INITIAL_FORMS": 0,
        "followups-MIN_NUM_FORMS": 0,
        "followups-MAX_NUM_FORMS": 1000,
        "followups-0-description": "",
        "followups-0-assignee": "",
        "followups-0-due_date": "",
        "followups-0-status": "open",
    }
    data.update(extra)
    return data


def test_followup_inline_saves_with_a_new_engagement(admin_client, superuser):
    first, second = PartnerFactory(), PartnerFactory()
    data = engagement_post(
        [second, first],
        superuser,
        **{
            "followups-0-description": "Send the draft agreement",
            "followups-0-assignee": superuser.pk,
            "followups-0-due_date": days(14).isoformat(),
        },
    )

    response = admin_client.post(reverse("admin:partners_engagement_add"), data)

    assert response.status_code == 302, response.context["errors"]
    engagement = Engagement.objects.get()
    followup = engagement.followups.get()
    assert followup.description == "Send the draft agreement"
    assert followup.partner == first  # the engagement's first partner
    assert followup.assignee == superuser
    assert engagement.created_by == superuser
    assert list(engagement.staff.all()) == [superuser]


def test_engagement_without_followup_ignores_the_untouched_inline_row(
    admin_client, superuser
):
    # What the browser sends back for the extra row it was given.
    data = engagement_post(
        [PartnerFactory()],
        superuser,
        **{
            "followups-0-assignee": superuser.pk,
            "followups-0-due_date": days(14).isoformat(),
        },
    )

    response = admin_client.post(reverse("admin:partners_engagement_add"), data)

    assert response.status_code == 302
    assert not FollowUp.objects.exists()


def test_followup_inline_without_assignee_is_refused(admin_client, superuser):
    data = engagement_post(
        [PartnerFactory()],
        superuser,
        **{
            "followups-0-description": "Who does this?",
            "followups-0-due_date": days(14).isoformat(),
        },
    )

    response = admin_client.post(reverse("admin:partners_engagement_add"), data)

    assert response.status_code == 200
    assert "assignee" in response.content.decode()
    assert not Engagement.objects.exists()


def test_engagement_add_form_defaults(admin_client, superuser):
    response = admin_client.get(reverse("admin:partners_engagement_add"))

    form = response.context["adminform"].form
    inline = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert form.initial["staff"] == [superuser.pk]
    assert inline["due_date"].value() == days(14)
    assert inline["assignee"].value() == superuser.pk


def test_engagement_list_filters(admin_client, superuser):
    engagement_rows(2, superuser)
    engagement = Engagement.objects.first()
    contact = engagement.contacts.get()
    for params in [
        {"kind__exact": "meeting"},
        {"confidential__exact": "0"},
        {"event__id__exact": engagement.event_id},
        {"partners__category__exact": "private_sector"},
        {"partners__country__itu_region__exact": "EUR"},
        {"staff__id__exact": superuser.pk},
        {"contact": contact.pk},
        {"date__year": engagement.date.year},
    ]:
        response = admin_client.get(changelist("engagement"), params)
        assert engagement in response.context["cl"].result_list, params


def test_engagement_search_by_partner_and_contact(admin_client):
    partner = PartnerFactory(name="Zeta Foundation")
    contact = ContactFactory(last_name="Okonkwo")
    found = EngagementFactory(partners=[partner], contacts=[contact])
    EngagementFactory()

    for term in ["Zeta", "Okonkwo"]:
        response = admin_client.get(changelist("engagement"), {"q": term})
        assert list(response.context["cl"].result_list) == [found], term


# Contacts


def test_contact_list_shows_current_partners_only(admin_client):
    contact = ContactFactory(last_name="Rotated")
    AffiliationFactory(
        contact=contact,
        partner=PartnerFactory(name="Old Mission"),
        end_date=dt.date(2020, 1, 1),
    )
    AffiliationFactory(
        contact=contact,
        partner=PartnerFactory(name="New Mission"),
        role=Affiliation.Role.AMBASSADOR,
    )

    html = admin_client.get(changelist("contact")).content.decode()

    assert "New Mission" in html
    assert "Ambassador / Permanent Representative" in html
    assert "Old Mission" not in html


def test_contact_list_flags_do_not_contact(admin_client):
    ContactFactory(do_not_contact=True)
    ContactFactory(do_not_contact=False)

    html = admin_client.get(changelist("contact")).content.decode()

    assert html.count('<span class="crm-overdue">do not contact</span>') == 1


def test_partner_list_filters_and_facets_with_selections(admin_client, superuser):
    partner_rows(3, superuser)
    params = {"_facets": "1", "overdue": "yes", "contacted": "recent"}
    assert admin_client.get(changelist("partner"), params).status_code == 200
    params = {"_facets": "1", "assignee": "all", "due": "overdue", "partner": 1}
    assert admin_client.get(changelist("followup"), params).status_code == 200


def test_contact_search_and_filters(admin_client):
    contact = ContactFactory(last_name="Nakamura", email="nakamura@mic.go.jp")
    AffiliationFactory(
        contact=contact,
        partner=PartnerFactory(name="Japan Mission", category="government_agency"),
        role=Affiliation.Role.COUNSELLOR,
    )
    ContactFactory(last_name="Other", do_not_contact=True)

    for params in [
        {"q": "Nakamura"},
        {"q": "mic.go.jp"},
        {"q": "Japan Mission"},
        {"affiliations__role__exact": "counsellor"},
        {"affiliations__partner__category__exact": "government_agency"},
        {"do_not_contact__exact": "0"},
    ]:
        response = admin_client.get(changelist("contact"), params)
        assert list(response.context["cl"].result_list) == [contact], params


def test_contact_page_shows_affiliations_over_time_and_engagements(
    admin_client, staff_client
):
    contact = ContactFactory()
    AffiliationFactory(
        contact=contact,
        partner=PartnerFactory(name="First post"),
        end_date=dt.date(2021, 1, 1),
    )
    now = AffiliationFactory(
        contact=contact, partner=PartnerFactory(name="Second post")
    )
    EngagementFactory(partners=[now.partner], contacts=[contact], subject="Coffee")
    EngagementFactory(
        partners=[now.partner], contacts=[contact], subject="Hush", confidential=True
    )

    admin_html = admin_client.get(change(contact)).content.decode()
    staff_html = staff_client.get(change(contact)).content.decode()

    assert admin_html.index("Second post") < admin_html.index("First post")
    assert "Coffee" in admin_html and "Hush" in admin_html
    assert "Coffee" in staff_html and "Hush" not in staff_html
    add = reverse("admin:partners_engagement_add")
    assert f"{add}?contacts={contact.pk}&amp;partners={now.partner_id}" in admin_html


# Follow-ups


def test_followup_list_defaults_to_mine(admin_client, superuser):
    mine = FollowUpFactory(assignee=superuser)
    theirs = FollowUpFactory()

    default = admin_client.get(changelist("followup"))
    everyone = admin_client.get(changelist("followup"), {"assignee": "all"})
    by_user = admin_client.get(changelist("followup"), {"assignee": theirs.assignee_id})

    assert list(default.context["cl"].result_list) == [mine]
    assert set(everyone.context["cl"].result_list) == {mine, theirs}
    assert list(by_user.context["cl"].result_list) == [theirs]


@pytest.mark.parametrize(
    "due, expected",
    [("overdue", ["late"]), ("week", ["soon"]), ("later", ["later"])],
)
def test_followup_due_filter(admin_client, superuser, due, expected):
    FollowUpFactory(assignee=superuser, description="late", due_date=days(-1))
    FollowUpFactory(assignee=superuser, description="soon", due_date=days(3))
    FollowUpFactory(assignee=superuser, description="later", due_date=days(30))
    FollowUpFactory(
        assignee=superuser,
        description="done",
        due_date=days(-5),
        status=FollowUp.Status.DONE,
    )

    response = admin_client.get(changelist("followup"), {"due": due})

    assert [f.description for f in response.context["cl"].result_list] == expected


def test_followup_list_marks_overdue(admin_client, superuser):
    FollowUpFactory(assignee=superuser, due_date=days(-1))
    FollowUpFactory(assignee=superuser, due_date=days(1))
    html = admin_client.get(changelist("followup")).content.decode()
    assert html.count('<span class="crm-overdue">overdue</span>') == 1


def test_mark_done_action(admin_client, superuser):
    todo = FollowUpFactory(assignee=superuser, due_date=days(-1))
    done = FollowUpFactory(
        assignee=superuser, status=FollowUp.Status.DONE, done_on=days(-2)
    )
    cancelled = FollowUpFactory(
        assignee=superuser, status=FollowUp.Status.CANCELLED, description="Dropped"
    )

    response = admin_client.post(
        changelist("followup"),
        {
            "action": "mark_done",
            "_selected_action": [todo.pk, done.pk, cancelled.pk],
        },
        follow=True,
    )

    html = response.content.decode()
    assert "1 follow-up marked done." in html
    assert "Dropped" in html and "cancelled" in html
    todo.refresh_from_db()
    done.refresh_from_db()
    assert (todo.status, todo.done_on) == (FollowUp.Status.DONE, today())
    assert done.done_on == days(-2)


def test_followup_add_form_defaults_to_me_in_two_weeks(admin_client, superuser):
    form = (
        admin_client.get(reverse("admin:partners_followup_add"))
        .context["adminform"]
        .form
    )
    assert form.initial["assignee"] == superuser.pk
    assert form.initial["due_date"] == days(14)


def test_followup_can_be_added_to_a_partner(admin_client, superuser):
    partner = PartnerFactory()
    data = {
        "description": "Call back",
        "partner": partner.pk,
        "assignee": superuser.pk,
        "due_date": days(3).isoformat(),
        "status": "open",
    }

    response = admin_client.post(reverse("admin:partners_followup_add"), data)

    assert response.status_code == 302
    assert FollowUp.objects.get().partner == partner


# Memberships, units, tags, events, affiliations


def test_membership_list_shows_class_and_dues_with_one_unit_lookup(
    admin_client, django_assert_max_num_queries
):
    UnitValueFactory(year=today().year, member_state_unit_chf=Decimal("318000.00"))
    MembershipFactory(contribution_class=Decimal("0.0625"))
    MembershipFactory(
        partner=PartnerFactory(),
        type=Membership.Type.SECTOR_MEMBER,
        sector=Membership.Sector.D,
        contribution_class=Decimal("0.5"),
    )

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(changelist("membership"))

    html = response.content.decode()
    assert "1/16" in html and "½" in html
    assert "19,875.00" in html  # 1/16 x 318,000
    assert "31,800.00" in html  # ½ x 318,000 / 5
    unit_lookups = [q for q in queries if "partners_unitvalue" in q["sql"]]
    assert len(unit_lookups) == 1


def test_membership_filters(admin_client):
    membership = MembershipFactory()
    for params in [
        {"type__exact": "member_state"},
        {"status__exact": "active"},
        {"partner__country__itu_region__exact": "EUR"},
    ]:
        response = admin_client.get(changelist("membership"), params)
        assert list(response.context["cl"].result_list) == [membership], params


def test_membership_page_shows_annual_dues(admin_client):
    UnitValueFactory(year=today().year, member_state_unit_chf=Decimal("100000.00"))
    membership = MembershipFactory(contribution_class=Decimal("2"))
    assert "200,000.00" in admin_client.get(change(membership)).content.decode()


def test_tag_list_links_to_its_partners(admin_client):
    tag = TagFactory(name="AI for Good")
    PartnerFactory().tags.add(tag)
    html = admin_client.get(changelist("tag")).content.decode()
    assert f"?tags__id__exact={tag.pk}" in html


def test_event_list_counts_only_visible_engagements(staff_client):
    event = EventFactory(name="WSIS Forum")
    for confidential in (False, True):
        engagement = EngagementFactory(confidential=confidential)
        engagement.event = event
        engagement.save()

    response = staff_client.get(changelist("event"))

    assert response.context["cl"].result_list[0].n_engagements == 1


def test_affiliation_current_filter(admin_client):
    current = AffiliationFactory()
    ended = AffiliationFactory(end_date=dt.date(2020, 1, 1))

    yes = admin_client.get(changelist("affiliation"), {"current": "yes"})
    no = admin_client.get(changelist("affiliation"), {"current": "no"})

    assert list(yes.context["cl"].result_list) == [current]
    assert list(no.context["cl"].result_list) == [ended]


# Extending the partner admin


def test_partner_admin_panels_can_be_extended_by_a_subclass(rf, superuser):
    from django.contrib import admin

    class ExtendedPartnerAdmin(PartnerAdmin):
        def get_panels(self, request, obj):
            return [*super().get_panels(request, obj), ("x.html", {"n": 1})]

    model_admin = ExtendedPartnerAdmin(Partner, admin.site)
    request = rf.get("/")
    request.user = superuser

    panels = model_admin.get_panels(request, PartnerFactory())

    assert [name for name, _ in panels] == [
        "admin/partners/panels/engagements.html",
        "admin/partners/panels/followups.html",
        "admin/documents/email_drop.html",
        "x.html",
    ]


def test_a_class_of_contribution_is_typed_and_shown_as_itu_writes_it(admin_client):
    from partners.models import Membership
    from tests.factories import CountryFactory, PartnerFactory

    partner = PartnerFactory(country=CountryFactory(income_group="Low"))
    response = admin_client.post(
        "/admin/partners/membership/add/",
        {
            "partner": partner.pk,
            "type": "sector_member",
            "sector": "ITU-D",
            "contribution_class": "1/16",
            "status": "active",
            "arrears_chf": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    membership = Membership.objects.get(partner=partner)
    assert membership.contribution_class == Decimal("0.0625")
    page = admin_client.get(f"/admin/partners/membership/{membership.pk}/change/")
    assert b'value="1/16"' in page.content


def test_a_mistyped_class_of_contribution_is_refused_with_its_value(admin_client):
    from tests.factories import GovernmentFactory

    partner = GovernmentFactory()
    response = admin_client.post(
        "/admin/partners/membership/add/",
        {
            "partner": partner.pk,
            "type": "member_state",
            "contribution_class": "0.3",
            "status": "active",
            "arrears_chf": "0",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["contribution_class"]
    assert "Class 0.3 is not a class of contribution" in errors[0]


def test_the_partner_list_sorts_by_last_engagement_and_shows_each_page_figures(
    admin_client,
):
    from tests.factories import EngagementFactory, PartnerFactory

    # Alphabetical order would put Apex first: only the sort can put it last.
    apex, zenith = PartnerFactory(name="Apex Ltd"), PartnerFactory(name="Zenith Ltd")
    EngagementFactory(partners=[apex], date=dt.date(2024, 1, 5))
    EngagementFactory(partners=[zenith], date=dt.date(2026, 3, 9))
    columns = admin_client.get("/admin/partners/partner/").context["cl"].list_display
    column = columns.index("last_engagement")
    response = admin_client.get(f"/admin/partners/partner/?o=-{column}")
    assert response.status_code == 200
    names = [p.name for p in response.context["cl"].result_list]
    assert names.index("Zenith Ltd") < names.index("Apex Ltd")
    assert response.context["cl"].result_list[0].last_engagement_on == dt.date(
        2026, 3, 9
    )
    unsorted = admin_client.get("/admin/partners/partner/").context["cl"]
    figures = {p.name: p.last_engagement_on for p in unsorted.result_list}
    assert figures["Apex Ltd"] == dt.date(2024, 1, 5)
