"""Possible duplicates: finding, dismissing, the pages, the add forms' warning."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from partners.duplicates import (
    contact_duplicates,
    duplicate_dismiss,
    partner_duplicates,
)
from partners.models import Contact, MergeLog, Partner, PartnerAlias
from tests.factories import (
    AffiliationFactory,
    ContactFactory,
    CountryFactory,
    EngagementFactory,
    PartnerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def pairs_by_name(pairs, model=Partner) -> dict[frozenset, object]:
    names = model.objects.in_bulk()
    return {frozenset({str(names[p.low]), str(names[p.high])}): p for p in pairs}


def test_partners_with_the_same_normalised_name_are_a_pair():
    first = PartnerFactory(name="Northwind Telecom SA")
    second = PartnerFactory(name="NORTHWIND TELECOM S.A.")
    PartnerFactory(name="Contoso University")

    (pair,) = partner_duplicates()

    assert {pair.low, pair.high} == {first.pk, second.pk}
    assert pair.score >= 70
    assert "same normalised name or alias: “northwind telecom sa”" in pair.reasons


def test_an_alias_close_names_and_acronyms_make_pairs_best_first():
    country = CountryFactory()
    kt = PartnerFactory(name="KT Corporation", country=country)
    PartnerAlias.objects.create(partner=kt, name="Korea Telecom")
    PartnerFactory(name="Korea Telecom", country=CountryFactory())
    PartnerFactory(name="Deutsche Telekom AG", country=country)
    PartnerFactory(name="Deutsche Telekom", country=country)
    PartnerFactory(name="Ministry of Posts", short_name="MPT", country=country)
    PartnerFactory(name="Posts Ministry Office", short_name="MPT", country=country)
    PartnerFactory(name="Contoso", country=country)

    pairs = partner_duplicates()
    found = pairs_by_name(pairs)

    alias = found[frozenset({"KT Corporation", "Korea Telecom"})]
    assert "same normalised name or alias: “korea telecom”" in alias.reasons
    close = found[frozenset({"Deutsche Telekom AG", "Deutsche Telekom"})]
    assert any(r.startswith("close names") for r in close.reasons)
    assert "same country and category" in close.reasons
    acronym = found[
        frozenset({"Ministry of Posts (MPT)", "Posts Ministry Office (MPT)"})
    ]
    assert "same acronym or code: mpt" in acronym.reasons
    assert len(pairs) == 3
    assert [p.score for p in pairs] == sorted((p.score for p in pairs), reverse=True)


def test_a_dismissed_pair_is_never_proposed_again():
    first = PartnerFactory(name="Northwind Telecom")
    second = PartnerFactory(name="Northwind Telecom")
    user = UserFactory()

    assert duplicate_dismiss(
        kind="partner", first=second.pk, second=first.pk, user=user
    )
    assert not duplicate_dismiss(
        kind="partner", first=first.pk, second=second.pk, user=user
    )

    assert partner_duplicates() == []


def test_contacts_pair_on_e_mail_phone_name_and_mission():
    mission = PartnerFactory(name="Permanent Mission of Kenya")
    amina = ContactFactory(
        first_name="Amina", last_name="Odhiambo", email="a.odhiambo@example.org"
    )
    again = ContactFactory(
        first_name="Amina", last_name="Odhiambo", email="A.Odhiambo@example.org"
    )
    AffiliationFactory(contact=amina, partner=mission)
    AffiliationFactory(contact=again, partner=mission)
    ContactFactory(first_name="Peter", last_name="Kamau", phone="+41 22 918 00 01")
    ContactFactory(first_name="P.", last_name="Kamau", phone="022 918 00 01")
    ContactFactory(first_name="Jean", last_name="Dupont", email="")

    found = pairs_by_name(contact_duplicates(), Contact)

    same = found[frozenset({"Amina Odhiambo"})]
    assert set(same.reasons) == {
        "same e-mail: a.odhiambo@example.org",
        "same name",
        "same mission or organisation",
    }
    assert same.score == 100
    phone = found[frozenset({"Peter Kamau", "P. Kamau"})]
    assert "same phone number" in phone.reasons
    assert len(found) == 2


def test_the_duplicates_page_lists_pairs_with_bounded_queries(
    admin_client, django_assert_max_num_queries
):
    country = CountryFactory()
    for n in range(60):
        PartnerFactory(name=f"Duplicated Organisation {n:02d}", country=country)
        PartnerFactory(name=f"Duplicated Organisation {n:02d}", country=country)
    url = reverse("admin:partners_partner_duplicates")

    with django_assert_max_num_queries(12):
        response = admin_client.get(url)

    assert response.status_code == 200
    assert response.context["count"] >= 60
    assert len(response.context["rows"]) == 50
    assert admin_client.get(url, {"p": 2}).status_code == 200
    assert b"Merge" in response.content


def test_not_a_duplicate_on_the_page_dismisses_the_pair(admin_client):
    first = PartnerFactory(name="Northwind Telecom")
    second = PartnerFactory(name="Northwind Telecom")
    url = reverse("admin:partners_partner_duplicates")

    response = admin_client.post(url, {"dismiss": f"{first.pk},{second.pk}"})

    assert response.status_code == 302
    assert admin_client.get(url).context["rows"] == []


def test_the_contact_duplicates_page_lists_contacts(admin_client):
    ContactFactory(first_name="Amina", last_name="Odhiambo")
    ContactFactory(first_name="Amina", last_name="Odhiambo")

    response = admin_client.get(reverse("admin:partners_contact_duplicates"))

    assert len(response.context["rows"]) == 1
    assert "Amina Odhiambo" in response.content.decode()


def test_the_partner_add_form_warns_before_saving_a_likely_duplicate(admin_client):
    existing = PartnerFactory(name="Northwind Telecom SA")
    url = reverse("admin:partners_partner_add")
    data = {
        "name": "Northwind Telecom S.A.",
        "category": "private_sector",
        "priority": 2,
        "is_active": "on",
    }
    for prefix in ("memberships", "affiliations"):
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}

    warned = admin_client.post(url, data)

    assert warned.status_code == 200
    assert "This looks like an existing record" in warned.content.decode()
    assert str(existing) in warned.content.decode()
    assert Partner.objects.count() == 1

    saved = admin_client.post(url, data | {"confirm_not_duplicate": "on"})
    assert saved.status_code == 302
    assert Partner.objects.count() == 2


def test_the_contact_add_form_warns_on_a_known_e_mail(admin_client):
    ContactFactory(first_name="Amina", last_name="Odhiambo", email="amina@example.org")
    data = {
        "first_name": "A.",
        "last_name": "Odhiambo-Otieno",
        "email": "AMINA@example.org",
        "affiliations-TOTAL_FORMS": 0,
        "affiliations-INITIAL_FORMS": 0,
    }

    warned = admin_client.post(reverse("admin:partners_contact_add"), data)

    assert "This looks like an existing record" in warned.content.decode()
    assert Contact.objects.count() == 1


def test_the_list_action_opens_the_merge_page(admin_client):
    first, second = PartnerFactory(), PartnerFactory()

    response = admin_client.post(
        reverse("admin:partners_partner_changelist"),
        {"action": "merge_selected", "_selected_action": [first.pk, second.pk]},
    )

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:partners_partner_merge"))
    assert f"{first.pk}%2C{second.pk}" in response.url


@pytest.fixture
def secret_pair():
    first = PartnerFactory(name="Northwind Telecom")
    second = PartnerFactory(name="Northwind Telecom SA")
    EngagementFactory(partners=[second], subject="Open lunch")
    EngagementFactory(partners=[second], subject="Secret offer", confidential=True)
    return first, second


def merger_without_confidential():
    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["partners", "crm"]
        ).exclude(codename="view_confidential_engagement")
    )
    return user


def test_the_merge_page_counts_confidential_engagements_without_showing_them(
    client, secret_pair, django_assert_max_num_queries
):
    first, second = secret_pair
    client.force_login(merger_without_confidential())
    url = reverse("admin:partners_partner_merge") + f"?ids={first.pk},{second.pk}"

    with django_assert_max_num_queries(30):
        page = client.get(url).content.decode()

    assert "Open lunch" in page
    assert "Secret offer" not in page
    assert "1 confidential engagement, not shown" in page


def test_the_merge_page_shows_confidential_engagements_to_those_allowed(
    admin_client, secret_pair
):
    first, second = secret_pair
    url = reverse("admin:partners_partner_merge") + f"?ids={first.pk},{second.pk}"

    page = admin_client.get(url).content.decode()

    assert "Secret offer" in page
    assert "not shown" not in page


def test_merging_and_undoing_from_the_pages(client, secret_pair):
    first, second = secret_pair
    client.force_login(merger_without_confidential())
    url = reverse("admin:partners_partner_merge")

    response = client.post(
        url,
        {
            "ids": f"{first.pk},{second.pk}",
            "survivor": first.pk,
            "field_name": second.pk,
            "merge": "1",
        },
    )

    assert response.status_code == 302
    assert list(Partner.objects.values_list("name", flat=True)) == [
        "Northwind Telecom SA"
    ]
    assert first.engagements.count() == 2
    log = MergeLog.objects.get()
    log_page = client.get(reverse("admin:partners_mergelog_change", args=[log.pk]))
    content = log_page.content.decode()
    assert "Undo this merge" in content
    assert "Secret offer" not in content

    client.post(reverse("admin:partners_mergelog_undo", args=[log.pk]))

    assert Partner.objects.count() == 2
    assert second.engagements.count() == 2


def test_a_refused_merge_explains_why_on_the_page(admin_client):
    first, second = PartnerFactory(), PartnerFactory()
    AffiliationFactory(partner=first, is_primary=True)
    AffiliationFactory(partner=second, is_primary=True)

    response = admin_client.post(
        reverse("admin:partners_partner_merge"),
        {"ids": f"{first.pk},{second.pk}", "merge": "1"},
        follow=True,
    )

    assert "Two primary contacts" in response.content.decode()
    assert Partner.objects.count() == 2


def test_aliases_show_on_the_partner_page(admin_client):
    partner = PartnerFactory()
    PartnerAlias.objects.create(partner=partner, name="Old Name Ltd")

    page = admin_client.get(reverse("admin:partners_partner_change", args=[partner.pk]))

    assert "Old Name Ltd" in page.content.decode()


def test_the_list_of_pairs_follows_edits_made_since_it_was_computed():
    first = PartnerFactory(name="Northwind Telecom")
    PartnerFactory(name="Northwind Telecom")
    assert len(partner_duplicates()) == 1

    first.name = "Contoso Networks"
    first.save()
    assert partner_duplicates() == []

    PartnerAlias.objects.create(partner=first, name="Northwind Telecom")
    assert len(partner_duplicates()) == 1


def alias_form(partner, name: str) -> dict:
    data = {
        "name": partner.name,
        "category": partner.category,
        "country": partner.country_id,
        "priority": partner.priority,
        "is_active": "on",
        "aliases-TOTAL_FORMS": 1,
        "aliases-INITIAL_FORMS": 0,
        "aliases-0-name": name,
        "aliases-0-source": "manual",
    }
    for prefix in ("memberships", "affiliations", "followups"):
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
    return data


def test_an_alias_typed_on_the_partner_page_records_who_added_it(
    admin_client, superuser
):
    partner = PartnerFactory()
    url = reverse("admin:partners_partner_change", args=[partner.pk])

    response = admin_client.post(url, alias_form(partner, "Northwind S.A."))

    assert response.status_code == 302
    alias = partner.aliases.get()
    assert (alias.normalized, alias.created_by) == ("northwind sa", superuser)

    again = admin_client.post(url, alias_form(partner, "NORTHWIND SA"))
    assert "is already an alias of this partner" in again.content.decode()
    assert partner.aliases.count() == 1


def test_find_duplicates_prints_the_pairs_with_their_reasons(capsys):
    from django.core.management import call_command

    PartnerFactory(name="Northwind Telecom SA")
    PartnerFactory(name="Northwind Telecom S.A.")

    call_command("find_duplicates", "partners")

    out = capsys.readouterr().out
    assert "Northwind Telecom SA" in out
    assert "same normalised name or alias" in out
    assert "Possible duplicate pairs: 1" in out
