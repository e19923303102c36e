"""A spelling confirmed during an import is remembered as the partner's alias."""

from __future__ import annotations

from django.urls import reverse

from crm.imports.engine import ImportOptions
from crm.imports.services import batch_create, batch_run
from crm.imports.undo import import_batch_undo
from crm.lib.names import normalize_name
from partners.models import PartnerAlias
from pledges.models import Pledge
from tests.factories import UserFactory
from tests.imports.conftest import do_import

TYPO = "Donor,Reference,Amount,Currency,Date\nAcme Telekom,AC-1,500,CHF,01.04.2024\n"


def confirm_and_import(world, user=None, content: str = TYPO, dry_run=False):
    choices = {normalize_name("Acme Telekom"): world["acme"].pk}
    batch = batch_create(
        resource="pledges",
        data=content.encode(),
        file_name="typo.csv",
        options=ImportOptions(lever="voluntary", partner_choices=choices),
        user=user,
        dry_run=dry_run,
    )
    return batch, batch_run(batch=batch)


def test_confirming_a_spelling_stores_it_as_an_alias_with_who_and_which_batch(world):
    user = UserFactory(username="treasurer")
    batch, result = confirm_and_import(world, user)
    assert result.written
    alias = PartnerAlias.objects.get()
    assert (alias.partner, alias.name, alias.source) == (
        world["acme"],
        "Acme Telekom",
        PartnerAlias.Source.IMPORT,
    )
    assert (alias.created_by, alias.import_batch) == (user, batch)


def test_the_next_file_matches_the_spelling_by_alias_without_asking(world):
    confirm_and_import(world)
    again = do_import("pledges", TYPO.replace("AC-1,500", "AC-2,600"))
    assert again.written, [r.message for r in again.rows]
    assert not again.suggestions
    assert again.rows[0].detail["partner"][2] == "alias"
    assert Pledge.objects.filter(partner=world["acme"]).count() == 2


def test_a_preview_remembers_nothing(world):
    confirm_and_import(world, dry_run=True)
    assert not PartnerAlias.objects.exists()


def test_a_failed_import_remembers_nothing(world):
    bad = TYPO + "Nobody,X-1,5,CHF,01.04.2024\n"
    _batch, result = confirm_and_import(world, content=bad)
    assert not result.written
    assert not PartnerAlias.objects.exists()


def test_a_spelling_confirmed_twice_is_stored_once(world):
    confirm_and_import(world)
    confirm_and_import(world, content=TYPO.replace("AC-1", "AC-9"))
    assert PartnerAlias.objects.count() == 1


def test_undoing_the_import_forgets_its_spellings(world):
    user = UserFactory(is_superuser=True)
    batch, _result = confirm_and_import(world, user)
    import_batch_undo(batch, user)
    assert not PartnerAlias.objects.exists()
    assert not Pledge.objects.exists()


def test_the_partner_page_shows_the_alias_with_its_author_and_batch_and_removes_it(
    admin_client, admin_user, world
):
    batch, _result = confirm_and_import(world, admin_user)
    alias = PartnerAlias.objects.get()
    url = reverse("admin:partners_partner_change", args=[world["acme"].pk])
    page = admin_client.get(url)
    inline = page.context["inline_admin_formsets"]
    aliases = next(f for f in inline if f.formset.model is PartnerAlias)
    assert aliases.formset.queryset.get() == alias
    batch_url = reverse("admin:crm_importbatch_change", args=[batch.pk])
    assert f'<a href="{batch_url}">Batch {batch.pk}</a>' in page.text
    assert "Confirmed during an import" in page.text
    assert admin_user.get_username() in page.text

    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and not isinstance(value, list | tuple)
    }
    for formset in inline:
        management = formset.formset.management_form
        for field in management:
            data[field.html_name] = field.value()
        for subform in formset.formset.forms:
            for field in subform:
                value = field.value()
                if value is not None and not isinstance(value, list | tuple):
                    data[field.html_name] = value
    prefix = aliases.formset.prefix
    data[f"{prefix}-0-DELETE"] = "on"
    assert (
        admin_client.get(
            reverse("admin:partners_partner_changelist"), {"q": "Acme Telekom"}
        )
        .context["cl"]
        .result_count
        == 1
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not PartnerAlias.objects.exists()
