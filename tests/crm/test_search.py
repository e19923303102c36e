"""The CRM-wide search box: results page, suggestions, who sees what."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from tests.factories import (
    AffiliationFactory,
    ContactFactory,
    CountryAliasFactory,
    CountryFactory,
    EngagementFactory,
    EventFactory,
    GovernmentFactory,
    PartnerFactory,
    PledgeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PAGE = reverse("admin:search")
SUGGEST = reverse("admin:search_suggest")


@pytest.fixture
def records():
    korea = CountryFactory(
        name_en="Republic of Korea",
        itu_name="Korea (Rep. of)",
        iso3="KOR",
        is_itu_member_state=True,
    )
    CountryAliasFactory(country=korea, name="South Korea")
    state = GovernmentFactory(name="Republic of Korea", country=korea, code="GOV-KOR")
    company = PartnerFactory(name="South Korea Trading Company", country=korea)
    ambassador = ContactFactory(
        first_name="Min-jun", last_name="Park", email="mj.park@mission-kor.example"
    )
    AffiliationFactory(partner=state, contact=ambassador, position="Ambassador")
    event = EventFactory(name="Partner2Connect Digital Coalition")
    open_talk = EngagementFactory(
        subject="Seoul visit",
        summary="Talked about broadband satellites",
        partners=[state],
    )
    secret = EngagementFactory(
        subject="Sensitive talk",
        summary="Discussed the quantum sovereignty fund",
        partners=[state],
        confidential=True,
    )
    pledge = PledgeFactory(
        partner=state, title="Rural connectivity", agreement_reference="AGR-2025-017"
    )
    return {
        "state": state,
        "company": company,
        "ambassador": ambassador,
        "event": event,
        "open": open_talk,
        "secret": secret,
        "pledge": pledge,
    }


def change_url(obj) -> str:
    """The page a result opens: a partner's overview, any other record's form."""
    if obj._meta.model_name == "partner":
        return obj.get_absolute_url()
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def suggestions(client, term: str) -> dict[str, list[dict]]:
    response = client.get(SUGGEST, {"q": term})
    assert response.status_code == 200
    return {g["key"]: g["hits"] for g in response.json()["groups"]}


@pytest.mark.parametrize(
    ("term", "group", "record"),
    [
        ("south korea", "partners", "state"),
        ("KOR", "partners", "state"),
        ("mj.park@mission-kor.example", "contacts", "ambassador"),
        ("Park", "contacts", "ambassador"),
        ("Republic of Korea", "contacts", "ambassador"),  # the mission they are at
        ("broadband", "engagements", "open"),
        ("AGR-2025-017", "pledges", "record"),
        ("rural connectivity", "pledges", "pledge"),
        ("Partner2Connect", "events", "event"),
    ],
)
def test_the_search_finds_each_kind_of_record_and_links_to_its_page(
    admin_client, records, term, group, record
):
    records["record"] = records["pledge"]
    found = suggestions(admin_client, term)

    assert found[group][0]["url"] == change_url(records[record])


def test_the_results_page_lists_groups_best_first(admin_client, records):
    response = admin_client.get(PAGE, {"q": "South Korea"})

    page = response.content.decode()
    assert response.status_code == 200
    assert page.index(change_url(records["state"])) < page.index(
        change_url(records["company"])
    )
    assert 'id="crm-search-partners"' in page
    assert '<ol class="breadcrumbs">' in page


def test_the_results_page_says_when_nothing_matches(admin_client, records):
    response = admin_client.get(PAGE, {"q": "xylophone"})

    assert "Nothing found for “xylophone”" in response.content.decode()


def test_a_confidential_engagement_is_found_only_by_users_allowed_to_see_it(
    client, superuser, staff_user, records
):
    allowed_client = Client()
    allowed_client.force_login(superuser)
    client.force_login(staff_user)

    assert "engagements" not in suggestions(client, "quantum sovereignty")
    assert "Sensitive talk" not in client.get(PAGE, {"q": "quantum"}).content.decode()
    assert suggestions(client, "broadband")["engagements"][0]["label"] == "Seoul visit"
    allowed = suggestions(allowed_client, "quantum sovereignty")["engagements"]
    assert allowed[0]["url"] == change_url(records["secret"])


def test_a_user_without_the_pledge_permission_sees_no_pledge_group(
    client, staff_user, records
):
    client.force_login(staff_user)

    assert "pledges" not in suggestions(client, "rural connectivity")
    assert (
        "crm-search-pledges"
        not in client.get(PAGE, {"q": "AGR-2025-017"}).content.decode()
    )


def test_a_user_who_may_view_only_pledges_sees_only_pledges(client, records):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_pledge"))
    client.force_login(user)

    assert set(suggestions(client, "rural")) == {"pledges"}
    assert set(suggestions(client, "korea")) <= {"pledges"}


def test_the_search_needs_a_signed_in_staff_user(client, records):
    assert client.get(SUGGEST, {"q": "korea"}).status_code == 302
    assert client.get(PAGE, {"q": "korea"}).status_code == 302


def test_the_results_page_and_suggestions_take_a_bounded_number_of_queries(
    admin_client, records, django_assert_max_num_queries
):
    for n in range(15):
        state = records["state"]
        PledgeFactory(partner=state, title=f"Korea pledge {n}")
        EngagementFactory(subject=f"Korea talk {n}", partners=[state])
        AffiliationFactory(partner=state, contact=ContactFactory(last_name=f"Korea{n}"))
    with django_assert_max_num_queries(30):
        admin_client.get(PAGE, {"q": "korea"})
    with django_assert_max_num_queries(30):
        admin_client.get(SUGGEST, {"q": "korea"})


def test_the_start_page_has_the_search_box_and_other_pages_have_it_on_top(
    admin_client, records
):
    start = admin_client.get(reverse("admin:index")).content.decode()
    other = admin_client.get(
        reverse("admin:partners_partner_changelist")
    ).content.decode()

    assert 'id="crm-start-search"' in start
    assert 'id="crm-top-search"' not in start
    assert 'id="crm-top-search"' in other
    assert "crm/search.js" in other


def test_the_partner_list_search_ranks_like_the_search_box(admin_client, records):
    response = admin_client.get(
        reverse("admin:partners_partner_changelist"), {"q": "south korea"}
    )

    assert [p.pk for p in response.context["cl"].result_list][:2] == [
        records["state"].pk,
        records["company"].pk,
    ]


def test_two_letters_search_partners_and_not_the_big_tables(admin_client, records):
    EngagementFactory(subject="UK visit", partners=[records["state"]])

    found = suggestions(admin_client, "UK")

    assert "engagements" not in found
    assert "contacts" not in found
