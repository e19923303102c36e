"""Undo an import: created rows go, updated rows come back, all or nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from crm.imports.engine import ImportOptions
from crm.imports.services import batch_create, batch_run
from crm.imports.undo import import_batch_undo, undo_reason
from crm.models import ImportBatch
from crm.roles import ADMINISTRATOR, TASK_FORCE, roles_setup
from partners.models import Engagement, Partner
from pledges.models import Payment, Pledge
from tests.factories import EngagementFactory, PledgeFactory, UserFactory
from tests.imports.conftest import DATA

PARTNERS = (
    "Organisation,Code,Catégorie,Site web\n"
    "Fondation Lumière,FLUM,60 - Foundation,https://lumiere.example.org\n"
    "Acme Telecom,,70 - Private Sector,https://acme.example.com\n"
)


def member(role: str, name: str):
    roles_setup()
    user = UserFactory(is_staff=True, username=name, first_name=name.capitalize())
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def uploader(world):
    return member(TASK_FORCE, "ulla")


def imported(resource: str, text: str, user, name: str = "file.csv") -> ImportBatch:
    batch = batch_create(
        resource=resource,
        data=text.encode(),
        file_name=name,
        options=ImportOptions(lever="voluntary"),
        user=user,
    )
    result = batch_run(batch=batch)
    assert result.written, [r.message for r in result.rows]
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    return batch


def every_row(model) -> list[dict]:
    return list(model._base_manager.order_by("pk").values())


def test_undo_removes_created_rows_and_restores_every_field(world, uploader):
    before = every_row(Partner)
    batch = imported("partners", PARTNERS, uploader)
    assert Partner.objects.filter(code="FLUM").exists()
    assert Partner.objects.get(code="ACME").website == "https://acme.example.com"

    batch = import_batch_undo(batch, uploader)

    assert every_row(Partner) == before
    assert batch.status == ImportBatch.Status.UNDONE
    assert batch.undone_by == uploader and batch.undone_at
    acme = Partner.objects.get(code="ACME")
    assert acme.history.first().history_change_reason == undo_reason(batch)
    assert acme.history.first().history_user == uploader


def test_undo_refuses_after_a_later_edit_and_names_who(world, uploader):
    editor = member(TASK_FORCE, "edgar")
    batch = imported("partners", PARTNERS, uploader)
    lumiere = Partner.objects.get(code="FLUM")
    lumiere.notes = "Called them"
    lumiere._history_user = editor
    lumiere.save()
    after = every_row(Partner)

    with pytest.raises(ValidationError) as refused:
        import_batch_undo(batch, uploader)

    text = " ".join(refused.value.messages)
    assert "Fondation Lumière" in text and "Edgar" in text
    assert every_row(Partner) == after
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE and batch.undone_at is None


def test_undo_of_pledges_and_payments(world, uploader):
    pledge = PledgeFactory(
        partner=world["acme"],
        lever=world["lever"],
        external_id="AC-9",
        amount=Decimal("1000"),
        currency="CHF",
    )
    pledges = imported(
        "pledges",
        "Donor,Reference,Amount,Currency,Date\nACME,AC-10,500,CHF,2024-04-01\n",
        uploader,
    )
    payments = imported(
        "payments",
        "Pledge reference,Payment date,Amount,Payment reference\n"
        "AC-9,01.06.2024,600,BANK-1\nAC-9,01.07.2024,400,BANK-2\n",
        uploader,
        "payments.csv",
    )
    pledge.refresh_from_db()
    assert pledge.stage == "fulfilled"
    stage_before = Pledge.objects.get(pk=pledge.pk)

    import_batch_undo(payments, uploader)

    assert not Payment.objects.filter(pledge=pledge).exists()
    pledge.refresh_from_db()
    assert pledge.stage != "fulfilled" and stage_before.stage == "fulfilled"
    assert pledge.history.first().history_change_reason == undo_reason(payments)

    import_batch_undo(pledges, uploader)
    assert not Pledge.objects.filter(external_id="AC-10").exists()
    assert Pledge.objects.filter(pk=pledge.pk).exists()


def test_who_may_undo(world, uploader, client):
    other = member(TASK_FORCE, "otto")
    admin_user = member(ADMINISTRATOR, "ada")
    batch = imported("partners", PARTNERS, uploader)
    url = reverse("admin:crm_importbatch_undo", args=[batch.pk])

    client.force_login(other)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    with pytest.raises(ValidationError):
        import_batch_undo(batch, other)
    assert Partner.objects.filter(code="FLUM").exists()

    client.force_login(uploader)
    page = client.get(reverse("admin:crm_importbatch_change", args=[batch.pk]))
    assert b"Undo this import" in page.content
    assert client.get(url).status_code == 200  # the confirmation page

    client.force_login(admin_user)
    assert client.post(url).status_code == 302
    assert not Partner.objects.filter(code="FLUM").exists()
    batch.refresh_from_db()
    assert batch.undone_by == admin_user
    page = client.get(reverse("admin:crm_importbatch_change", args=[batch.pk]))
    assert b"Undo this import" not in page.content
    assert b"Undone" in page.content


def test_the_same_file_imports_again_after_undo(world, uploader):
    batch = imported("partners", PARTNERS, uploader)
    import_batch_undo(batch, uploader)
    again = imported("partners", PARTNERS, uploader)
    assert again.rows_new == 1 and again.rows_updated == 1
    assert Partner.objects.filter(code="FLUM").count() == 1


def test_the_command_undoes_a_batch(world, uploader, capsys):
    batch = imported("partners", PARTNERS, uploader)
    call_command("undo_import", str(batch.pk), "--user", "ulla")
    assert not Partner.objects.filter(code="FLUM").exists()
    batch.refresh_from_db()
    assert batch.undone_by == uploader
    assert str(batch.pk) in capsys.readouterr().out


ENGAGEMENTS = (
    "Date,Subject,Partner,Summary,Confidential\n"
    "2025-06-01,Secret talks,Acme Telecom,Offer,yes\n"
    "2025-06-02,Open talks,Acme Telecom,Lunch,no\n"
)


def test_confidential_records_stay_hidden_and_only_the_batch_is_undone(world, uploader):
    assert not uploader.has_perm("partners.view_confidential_engagement")
    planted = EngagementFactory(
        date=dt.date(2025, 5, 1),
        subject="Planted secret",
        confidential=True,
        partners=[world["acme"]],
    )
    batch = imported("engagements", ENGAGEMENTS, member(ADMINISTRATOR, "ada"))
    secret = Engagement.objects.get(subject="Secret talks")
    assert secret.confidential
    secret.summary = "Minister's private offer"
    secret.save()

    with pytest.raises(ValidationError) as refused:
        # Confidential engagements are granted per person, never by role.
        import_batch_undo(batch, UserFactory(is_superuser=True, username="sam"))
    assert "Secret talks" in " ".join(refused.value.messages)
    # The uploader is not allowed on confidential engagements: the refusal
    # counts the hidden edit and never names it.
    batch.user = uploader
    batch.save()
    with pytest.raises(ValidationError) as refused:
        import_batch_undo(batch, uploader)
    text = " ".join(refused.value.messages)
    assert "Secret talks" not in text and "Minister" not in text
    assert "1 record you may not see was changed since." in text

    # A batch of confidential rows undone by its uploader, who cannot see
    # them, deletes its own rows and nothing else.
    fresh = imported(
        "engagements",
        "Date,Subject,Partner,Summary,Confidential\n"
        "2025-07-01,Hidden visit,Acme Telecom,Visit,yes\n",
        uploader,
        "more.csv",
    )
    import_batch_undo(fresh, uploader)
    assert not Engagement.objects.filter(subject="Hidden visit").exists()
    assert Engagement.objects.filter(pk=planted.pk).exists()
    assert Engagement.objects.filter(pk=secret.pk).exists()


def test_undo_restores_an_updated_engagement_and_its_links(world, uploader, client):
    open_talks = EngagementFactory(
        date=dt.date(2025, 6, 2),
        subject="Open talks",
        summary="Before",
        partners=[world["acme"]],
    )
    rows = every_row(Engagement)
    links = list(Engagement.partners.through.objects.order_by("pk").values())
    batch = imported("engagements", ENGAGEMENTS.replace(",yes", ",no"), uploader)
    open_talks.refresh_from_db()
    assert open_talks.summary == "Lunch"
    assert Engagement.objects.count() == len(rows) + 1

    import_batch_undo(batch, uploader)

    assert every_row(Engagement) == rows
    assert list(Engagement.partners.through.objects.order_by("pk").values()) == links


def test_the_confirmation_page_lists_who_changed_what(world, uploader, client):
    batch = imported("partners", PARTNERS, uploader)
    acme = Partner.objects.get(code="ACME")
    acme.notes = "Checked"
    acme._history_user = member(TASK_FORCE, "edgar")
    acme.save()
    client.force_login(uploader)
    url = reverse("admin:crm_importbatch_undo", args=[batch.pk])
    page = client.get(url).content.decode()
    assert "Acme Telecom" in page and "Edgar" in page
    assert "Yes, undo this import" not in page
    client.post(url)
    assert Partner.objects.filter(code="FLUM").exists()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE


def test_undo_refuses_to_delete_a_record_that_predates_the_batch(world, uploader):
    # Acme was written without history (in bulk, before history was kept):
    # the import's history row says "+", yet undoing must not delete it.
    world["acme"].history.all().delete()
    batch = imported("partners", PARTNERS, uploader)
    with pytest.raises(ValidationError) as refused:
        import_batch_undo(batch, uploader)
    assert "Partners: 1 record existed before the import." in refused.value.messages
    assert Partner.objects.filter(pk=world["acme"].pk).exists()


def test_undo_refuses_while_later_installments_hang_on_an_imported_pledge(
    world, uploader
):
    from pledges.services import pledge_generate_schedule

    batch = imported(
        "pledges",
        "Donor,Reference,Amount,Currency,Date\nACME,AC-10,500,CHF,2024-04-01\n",
        uploader,
    )
    pledge = Pledge.objects.get(external_id="AC-10")
    pledge_generate_schedule(
        pledge=pledge, count=2, frequency="monthly", first_due=dt.date(2024, 5, 1)
    )
    assert pledge.installments.count() == 2
    with pytest.raises(ValidationError) as refused:
        import_batch_undo(batch, uploader)
    assert "Installments: 2 records added or changed since the import" in " ".join(
        refused.value.messages
    )
    assert pledge.installments.count() == 2


def test_undo_of_contacts_removes_them_with_their_affiliations(world, uploader):
    from partners.models import Affiliation, Contact

    contacts, affiliations = every_row(Contact), every_row(Affiliation)
    data = (DATA / "imports_contacts_mojibake.csv").read_bytes().decode()
    batch = imported("contacts", data, uploader, "contacts.csv")
    assert Affiliation.objects.count() == len(affiliations) + 3
    import_batch_undo(batch, uploader)
    assert every_row(Contact) == contacts
    assert every_row(Affiliation) == affiliations
