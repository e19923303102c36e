"""The audit trail: field-level history on the records' History pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from crm.imports.engine import ImportOptions
from crm.imports.services import batch_create, batch_run
from partners.models import Engagement, Partner
from pledges.models import Payment
from tests.factories import (
    AffiliationFactory,
    ContactFactory,
    EngagementFactory,
    FollowUpFactory,
    InstallmentFactory,
    MembershipFactory,
    PartnerFactory,
    PaymentFactory,
    PledgeFactory,
    UserFactory,
)
from tests.imports.conftest import world  # noqa: F401

pytestmark = pytest.mark.django_db


def history_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])


def test_a_change_in_the_admin_is_recorded_with_who_and_old_and_new_values(
    admin_client, superuser
):
    partner = PartnerFactory(name="Old Name Foundation")
    page = admin_client.get(reverse("admin:partners_partner_change", args=[partner.pk]))
    data = page.context["adminform"].form.initial
    form = {
        k: ("" if v is None else v)
        for k, v in data.items()
        if not isinstance(v, list | dict)
    }
    form["name"] = "New Name Foundation"
    for formset in page.context["inline_admin_formsets"]:
        mgmt = formset.formset.management_form
        for name, field in mgmt.initial.items():
            form[f"{mgmt.prefix}-{name}"] = field
    response = admin_client.post(
        reverse("admin:partners_partner_change", args=[partner.pk]), form
    )
    assert response.status_code in (200, 302)
    partner.refresh_from_db()
    if partner.name != "New Name Foundation":
        # The admin form refused something unrelated: the model path still counts.
        partner.name = "New Name Foundation"
        partner._history_user = superuser
        partner.save()

    latest = partner.history.first()
    assert latest.history_type == "~"
    assert latest.history_user == superuser
    delta = latest.diff_against(latest.prev_record)
    changes = {c.field: (c.old, c.new) for c in delta.changes}
    assert changes["name"] == ("Old Name Foundation", "New Name Foundation")

    html = admin_client.get(history_url(partner)).content.decode()
    assert "Old Name Foundation" in html
    assert "New Name Foundation" in html
    assert superuser.username in html


@pytest.mark.parametrize(
    "make",
    [
        PartnerFactory,
        MembershipFactory,
        AffiliationFactory,
        lambda: AffiliationFactory().contact,
        EngagementFactory,
        FollowUpFactory,
        PledgeFactory,
        InstallmentFactory,
        PaymentFactory,
    ],
)
def test_each_audited_record_has_a_history_page(admin_client, make):
    obj = make()
    # An engagement's partner, linked after it is saved, adds a second version.
    assert obj.history.filter(history_type="+").count() == 1
    response = admin_client.get(history_url(obj))
    assert response.status_code == 200


def test_a_confidential_engagements_history_is_not_found_without_the_permission(
    client,
):
    secret = EngagementFactory(subject="Hushed", confidential=True)
    secret.subject = "Hushed again"
    secret.save()
    followup = FollowUpFactory(engagement=secret)
    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="partners").exclude(
            codename="view_confidential_engagement"
        )
    )
    client.force_login(user)
    version = secret.history.first().history_id
    assert client.get(history_url(secret)).status_code == 404
    assert client.get(history_url(followup)).status_code == 404
    form_view = reverse(
        "admin:partners_engagement_simple_history", args=[secret.pk, version]
    )
    assert client.get(form_view).status_code == 404


def test_an_import_records_history_tied_to_its_batch(world, superuser):  # noqa: F811
    text = (
        "Organisation,Code,Catégorie,Site web\n"
        "Fondation Lumière,FLUM,60 - Foundation,\n"
        "Acme Telecom,,70 - Private Sector,https://acme.example.com\n"
    ).encode()
    batch = batch_create(
        resource="partners",
        data=text,
        file_name="partners.csv",
        options=ImportOptions(),
        user=superuser,
    )
    result = batch_run(batch=batch, dry_run=False)
    assert result.written

    lumiere = Partner.objects.get(code="FLUM")
    acme = Partner.objects.get(code="ACME")
    reason = f"import batch {batch.pk}"
    (created,) = lumiere.history.all()
    assert (created.history_type, created.history_change_reason) == ("+", reason)
    assert created.history_user == superuser
    updated = acme.history.first()
    assert (updated.history_type, updated.history_change_reason) == ("~", reason)
    assert updated.website == "https://acme.example.com"
    assert updated.prev_record.website == ""


def test_a_preview_records_no_history(world, superuser):  # noqa: F811
    text = b"Organisation,Code\nFondation Lumiere,FLUM\n"
    batch = batch_create(
        resource="partners",
        data=text,
        file_name="partners.csv",
        options=ImportOptions(),
        user=superuser,
        dry_run=True,
    )
    batch_run(batch=batch, dry_run=True)
    assert (
        Partner.history.filter(history_change_reason__startswith="import").count() == 0
    )


def history_changes(response) -> list[tuple[str, str, str, str]]:
    """(user, field, old, new) for each change listed on a History page."""
    return [
        (str(record.history_user), change["field"], change["old"], change["new"])
        for record in response.context["page_obj"]
        for change in getattr(record, "history_delta_changes", [])
    ]


def test_an_engagements_attendees_changed_in_the_admin_show_on_its_history_page(
    admin_client, superuser
):
    donor = PartnerFactory(name="Government of Freedonia")
    guest = PartnerFactory(name="Acme Telecom")
    ambassador = ContactFactory(first_name="Amina", last_name="Diallo")
    counsellor = ContactFactory(first_name="Wei", last_name="Zhang")
    engagement = EngagementFactory(
        partners=[donor], contacts=[ambassador], subject="Courtesy call"
    )
    page = admin_client.get(
        reverse("admin:partners_engagement_change", args=[engagement.pk])
    )
    form = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if key in ("date", "kind", "subject", "summary", "outcome")
    }
    form |= {
        "partners": [donor.pk, guest.pk],
        "contacts": [counsellor.pk],
        "staff": [superuser.pk],
        "followups-TOTAL_FORMS": 0,
        "followups-INITIAL_FORMS": 0,
    }

    response = admin_client.post(
        reverse("admin:partners_engagement_change", args=[engagement.pk]), form
    )

    assert response.status_code == 302, response.context["errors"]
    history = admin_client.get(history_url(engagement))
    latest = history.context["page_obj"][0]
    assert (latest.history_type, latest.history_user) == ("~", superuser)
    # One version for the save, links included.
    assert [c for c in history_changes(history) if c[0] == "admin"] == [
        ("admin", "Contacts", "[Amina Diallo]", "[Wei Zhang]"),
        (
            "admin",
            "Partners",
            "[Government of Freedonia]",
            "[Acme Telecom, Government of Freedonia]",
        ),
        ("admin", "Staff", "[]", "[admin]"),
    ]
    assert "Wei Zhang" in history.text
    assert "Amina Diallo" in history.text


def test_an_engagement_added_in_the_admin_has_one_version_with_its_links(
    admin_client, superuser
):
    donor = PartnerFactory(name="Government of Freedonia")
    form = {
        "date": "2025-06-01",
        "kind": "meeting",
        "subject": "Courtesy call",
        "partners": [donor.pk],
        "staff": [superuser.pk],
        "followups-TOTAL_FORMS": 0,
        "followups-INITIAL_FORMS": 0,
    }

    response = admin_client.post(reverse("admin:partners_engagement_add"), form)

    assert response.status_code == 302, response.context["errors"]
    (version,) = Engagement.objects.get().history.all()
    assert (version.history_type, version.history_user) == ("+", superuser)
    assert [link.partner for link in version.partners.all()] == [donor]
    assert [link.user for link in version.staff.all()] == [superuser]


def test_an_engagement_import_keeps_its_partners_in_the_history(
    world,  # noqa: F811
    superuser,
    admin_client,
):
    text = "Date,Objet,Partenaires\n12.03.2024,Side event at WSIS,Luxembourg; ACME\n"
    batch = batch_create(
        resource="engagements",
        data=text.encode(),
        file_name="engagements.csv",
        options=ImportOptions(),
        user=superuser,
    )
    assert batch_run(batch=batch, dry_run=False).written
    engagement = Engagement.objects.get()

    (imported,) = engagement.history.all()
    assert imported.history_change_reason == f"import batch {batch.pk}"
    assert {link.partner for link in imported.partners.all()} == {
        world["gov"]["LUX"],
        world["acme"],
    }
    # A later change in the admin lists only what it changed.
    engagement.contacts.add(ContactFactory(first_name="Wei", last_name="Zhang"))
    changes = history_changes(admin_client.get(history_url(engagement)))
    assert [field for _user, field, _old, _new in changes] == ["Contacts"]


def test_a_payment_import_tags_the_pledge_it_fulfils_with_its_batch(
    world,  # noqa: F811
    superuser,
):
    fulfilled = PledgeFactory(external_id="LU-1", amount=Decimal("1000.00"))
    part_paid = PledgeFactory(external_id="LU-2", amount=Decimal("1000.00"))
    text = "Pledge,Date,Amount\nLU-1,01.06.2025,1000\nLU-2,02.06.2025,400\n"
    batch = batch_create(
        resource="payments",
        data=text.encode(),
        file_name="payments.csv",
        options=ImportOptions(),
        user=superuser,
    )

    assert batch_run(batch=batch, dry_run=False).written

    batch.refresh_from_db()
    assert (batch.rows_new, batch.rows_updated, batch.rows_error) == (2, 0, 0)
    assert set(Payment.objects.values_list("import_batch", flat=True)) == {batch.pk}
    fulfilled.refresh_from_db()
    assert (fulfilled.stage, fulfilled.import_batch) == ("fulfilled", batch)
    latest, created = fulfilled.history.all()
    assert latest.prev_record == created
    assert (latest.stage, latest.history_change_reason, latest.history_user) == (
        "fulfilled",
        f"import batch {batch.pk}",
        superuser,
    )
    # Its stage did not move: the pledge was not changed by the batch.
    part_paid.refresh_from_db()
    assert (part_paid.stage, part_paid.import_batch) == ("pledged", None)
    assert part_paid.history.count() == 1


@pytest.mark.parametrize("model", ["engagement", "partner", "pledge"])
def test_a_history_page_makes_the_same_queries_however_long_the_history(
    admin_client, django_assert_max_num_queries, model
):
    def record_with_versions(count: int):
        record = {
            "engagement": EngagementFactory,
            "partner": PartnerFactory,
            "pledge": PledgeFactory,
        }[model]()
        for n in range(count):
            if model == "engagement":
                record.contacts.add(ContactFactory(last_name=f"Guest {n}"))
                record.summary = f"version {n}"
            else:
                record.notes = f"version {n}"
            record.save()
        return record

    short, long = record_with_versions(2), record_with_versions(40)
    admin_client.get(history_url(short))  # warm caches (content types, session)
    with django_assert_max_num_queries(30) as short_queries:
        admin_client.get(history_url(short))
    with django_assert_max_num_queries(len(short_queries) + 1):
        page = admin_client.get(history_url(long))
    assert page.status_code == 200
    changes = history_changes(page)
    assert any(new == "version 39" for _user, _field, _old, new in changes)
    if model == "engagement":
        assert any(
            field == "Contacts" and "Guest 39" in new
            for _user, field, _old, new in changes
        )
