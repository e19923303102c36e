"""Merging partners and contacts, and undoing a merge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command

from partners.merge import contact_merge, merge_undo, partner_merge
from partners.models import (
    Affiliation,
    Contact,
    Engagement,
    FollowUp,
    Membership,
    MergeLog,
    Partner,
    PartnerAlias,
)
from pledges.models import Installment, Payment, Pledge
from reports.models import Meeting
from tests.factories import (
    AffiliationFactory,
    ContactFactory,
    CountryFactory,
    EngagementFactory,
    FollowUpFactory,
    InstallmentFactory,
    MeetingFactory,
    MembershipFactory,
    PartnerFactory,
    PaymentFactory,
    PledgeFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def every_row() -> dict[str, list[dict]]:
    """Every row of every table but the history and the merge log, by table."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label
        if label.split(".")[1].startswith("Historical") or model is MergeLog:
            continue
        if "Historical" in label or model._meta.app_label in ("sessions",):
            continue
        tables[label] = list(model._base_manager.order_by("pk").values())
    return tables


@pytest.fixture
def two_partners():
    """Northwind twice, each with a record of every kind pointing at it."""
    country = CountryFactory()
    user = UserFactory(username="merger")
    tag, shared_tag = TagFactory(), TagFactory()
    first = PartnerFactory(
        name="Northwind Telecom SA", country=country, website="", notes=""
    )
    second = PartnerFactory(
        name="Northwind Telecom",
        short_name="NWT",
        country=country,
        website="https://northwind.example",
        notes="Typed by the Bangkok office",
    )
    first.tags.set([shared_tag])
    second.tags.set([tag, shared_tag])
    MembershipFactory(partner=first, type="sector_member", sector="ITU-T")
    MembershipFactory(
        partner=second, type="sector_member", sector="ITU-D", contribution_class=1
    )
    AffiliationFactory(partner=second, is_primary=True)
    both = EngagementFactory(partners=[first, second], subject="Joint call")
    EngagementFactory(partners=[second], subject="Secret", confidential=True)
    FollowUpFactory(partner=second, assignee=user)
    pledge = PledgeFactory(partner=second)
    InstallmentFactory(pledge=pledge)
    PaymentFactory(pledge=pledge)
    MeetingFactory(partners=[first, second])
    return {"first": first, "second": second, "user": user, "both": both}


def test_every_kind_of_related_record_moves_to_the_survivor(two_partners):
    first, second = two_partners["first"], two_partners["second"]

    partner_merge(survivor=first, others=[second], user=two_partners["user"])

    assert not Partner.objects.filter(pk=second.pk).exists()
    assert Membership.objects.filter(partner=first).count() == 2
    assert Affiliation.objects.filter(partner=first).count() == 1
    assert set(first.engagements.values_list("subject", flat=True)) == {
        "Joint call",
        "Secret",
    }
    assert FollowUp.objects.filter(partner=first).count() == 1
    pledge = Pledge.objects.get(partner=first)
    assert Installment.objects.filter(pledge=pledge).count() == 1
    assert Payment.objects.filter(pledge=pledge).count() == 1
    assert first.tags.count() == 2
    assert Meeting.objects.get().partners.get() == first


def test_many_to_many_links_are_not_doubled(two_partners):
    first, second = two_partners["first"], two_partners["second"]

    partner_merge(survivor=first, others=[second], user=two_partners["user"])

    joint = two_partners["both"]
    assert list(joint.partners.all()) == [first]
    links = Engagement.partners.through.objects.filter(engagement=joint)
    assert links.count() == 1
    assert Meeting.partners.through.objects.count() == 1
    assert Partner.tags.through.objects.filter(partner=first).count() == 2


def test_the_values_chosen_field_by_field_are_kept(two_partners):
    first, second = two_partners["first"], two_partners["second"]

    partner_merge(
        survivor=first,
        others=[second],
        field_choices={"name": second.pk},
        user=two_partners["user"],
    )

    first.refresh_from_db()
    assert first.name == "Northwind Telecom"
    # An empty value of the survivor takes the other's by default.
    assert first.website == "https://northwind.example"
    assert first.short_name == "NWT"


def test_the_other_names_become_aliases_that_search_and_imports_find(
    two_partners, admin_client
):
    first, second = two_partners["first"], two_partners["second"]

    partner_merge(
        survivor=first,
        others=[second],
        field_choices={"name": second.pk},
        user=two_partners["user"],
    )

    alias = PartnerAlias.objects.get(partner=first)
    assert alias.name == "Northwind Telecom SA"
    assert (alias.source, alias.created_by) == ("merge", two_partners["user"])
    response = admin_client.get(
        "/admin/partners/partner/", {"q": "Northwind Telecom S.A."}
    )
    assert list(response.context["cl"].result_list) == [first]

    from partners.importers.matching import PartnerMatcher

    assert PartnerMatcher().match(name="NORTHWIND TELECOM SA").partner_id == first.pk


def test_two_active_memberships_of_one_sector_refuse_the_merge(two_partners):
    first, second = two_partners["first"], two_partners["second"]
    MembershipFactory(partner=second, type="sector_member", sector="ITU-T")

    with pytest.raises(ValidationError, match="Two active memberships"):
        partner_merge(survivor=first, others=[second], user=two_partners["user"])

    assert Partner.objects.filter(pk=second.pk).exists()
    assert MergeLog.objects.count() == 0


def test_two_primary_contacts_refuse_the_merge(two_partners):
    first, second = two_partners["first"], two_partners["second"]
    AffiliationFactory(partner=first, is_primary=True)

    with pytest.raises(ValidationError, match="Two primary contacts"):
        partner_merge(survivor=first, others=[second], user=two_partners["user"])

    assert Affiliation.objects.filter(partner=second).count() == 1


def test_undo_restores_every_row_of_every_table_exactly(two_partners):
    first, second = two_partners["first"], two_partners["second"]
    before = every_row()

    log = partner_merge(
        survivor=first,
        others=[second],
        field_choices={"name": second.pk, "notes": second.pk},
        user=two_partners["user"],
    )
    assert every_row() != before
    merge_undo(log=log, user=two_partners["user"])

    after = every_row()
    assert {k: v for k, v in after.items() if v != before[k]} == {}
    log.refresh_from_db()
    assert log.undone_by == two_partners["user"]


def test_history_pages_of_the_records_show_the_merge_and_its_undo(two_partners):
    first, second = two_partners["first"], two_partners["second"]
    log = partner_merge(survivor=first, others=[second], user=two_partners["user"])
    merge_undo(log=log, user=two_partners["user"])

    reasons = list(
        Partner.history.filter(id=second.pk).values_list(
            "history_type", "history_change_reason"
        )
    )
    assert ("-", f"merge {log.pk}") in reasons
    assert ("+", f"merge {log.pk} undone") in reasons
    survivor_reasons = set(
        first.history.values_list("history_change_reason", flat=True)
    )
    assert {f"merge {log.pk}", f"merge {log.pk} undone"} <= survivor_reasons
    pledge = Pledge.objects.get()
    assert f"merge {log.pk}" in set(
        pledge.history.values_list("history_change_reason", flat=True)
    )


def test_undo_refuses_after_a_later_edit_and_says_what_changed(two_partners):
    first, second = two_partners["first"], two_partners["second"]
    log = partner_merge(survivor=first, others=[second], user=two_partners["user"])
    pledge = Pledge.objects.get()
    pledge.title = "Renamed after the merge"
    pledge._history_user = UserFactory(first_name="Alice", last_name="Martin")
    pledge.save()

    with pytest.raises(ValidationError) as refused:
        merge_undo(log=log, user=two_partners["user"])

    assert "Renamed after the merge" in str(refused.value)
    assert "Alice Martin" in str(refused.value)
    assert not Partner.objects.filter(pk=second.pk).exists()
    log.refresh_from_db()
    assert log.undone_at is None


def test_undo_refuses_after_the_survivor_was_edited(two_partners):
    first, second = two_partners["first"], two_partners["second"]
    log = partner_merge(survivor=first, others=[second], user=two_partners["user"])
    first.refresh_from_db()
    first.notes = "Edited"
    first.save()

    with pytest.raises(ValidationError, match="edited since the merge"):
        merge_undo(log=log, user=two_partners["user"])


def test_a_merge_is_undone_once(two_partners):
    log = partner_merge(
        survivor=two_partners["first"],
        others=[two_partners["second"]],
        user=two_partners["user"],
    )
    merge_undo(log=log)

    with pytest.raises(ValidationError, match="undone already"):
        merge_undo(log=log)


def test_contacts_merge_with_their_affiliations_and_engagements_and_undo():
    partner = PartnerFactory()
    first = ContactFactory(first_name="Amina", last_name="Diallo", phone="")
    second = ContactFactory(
        first_name="Amina",
        last_name="Diallo",
        phone="+41 22 730 5111",
        do_not_contact=True,
    )
    AffiliationFactory(contact=first, partner=partner, is_primary=True)
    AffiliationFactory(contact=second, partner=partner, end_date=dt.date(2024, 6, 1))
    engagement = EngagementFactory(partners=[partner], contacts=[first, second])
    MeetingFactory(partners=[partner]).counterparts.set([second])
    before = every_row()

    log = contact_merge(survivor=first, others=[second])

    assert not Contact.objects.filter(pk=second.pk).exists()
    assert first.affiliations.count() == 2
    assert list(engagement.contacts.all()) == [first]
    assert list(Meeting.objects.get().counterparts.all()) == [first]
    first.refresh_from_db()
    assert first.phone == "+41 22 730 5111"
    # Asked on either record, "do not contact" holds for the merged one.
    assert first.do_not_contact

    merge_undo(log=log)
    after = every_row()
    assert {k: v for k, v in after.items() if v != before[k]} == {}


def test_the_merge_commands_call_the_services(two_partners, capsys):
    first, second = two_partners["first"], two_partners["second"]

    call_command("merge_partners", str(first.pk), str(second.pk))
    log = MergeLog.objects.get()
    assert f"merge {log.pk}" in capsys.readouterr().out

    call_command("undo_merge", str(log.pk))
    assert Partner.objects.filter(pk=second.pk).exists()


def test_the_history_pages_show_the_merge_and_the_undo(two_partners, admin_client):
    first, second = two_partners["first"], two_partners["second"]
    log = partner_merge(survivor=first, others=[second], user=two_partners["user"])
    survivor_page = admin_client.get(f"/admin/partners/partner/{first.pk}/history/")
    assert f"merge {log.pk}" in survivor_page.content.decode()

    merge_undo(log=log, user=two_partners["user"])

    for partner in (first, second):
        page = admin_client.get(f"/admin/partners/partner/{partner.pk}/history/")
        assert f"merge {log.pk} undone" in page.content.decode()
