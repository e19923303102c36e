"""No silent defaults: the lever is asked for, every default is listed."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from crm.models import ImportBatch
from pledges.models import Pledge
from tests.factories import LeverFactory
from tests.imports.conftest import DATA, do_import

NO_LEVER = (
    "Donor,Reference,Amount,Currency,Date\n"
    '"Luxembourg, Government of",LU-1,1000,CHF,31.03.2024\n'
    "ACME,AC-1,500,EUR,01.04.2024\n"
)


def defaults(result) -> dict[tuple[str, str], int]:
    return {(name, value): count for name, value, count in result.preview(10).defaults}


def test_a_file_without_a_lever_column_asks_for_the_lever_and_writes_nothing(world):
    result = do_import("pledges", NO_LEVER, lever=None)
    assert "no lever column" in result.file_error
    assert "--lever" in result.file_error
    assert "voluntary" in result.file_error  # the codes to choose from
    assert not result.written
    assert Pledge.objects.count() == 0


def test_the_chosen_lever_applies_to_every_row_and_is_listed(world):
    LeverFactory(code="membership", name="Membership and contributory units")
    result = do_import("pledges", NO_LEVER, lever="voluntary")
    assert result.written
    assert set(Pledge.objects.values_list("lever", flat=True)) == {world["lever"].pk}
    assert defaults(result)[("lever", "Voluntary contributions")] == 2


def test_an_unknown_lever_code_is_refused_by_name(world):
    result = do_import("pledges", NO_LEVER, lever="nonesuch")
    assert result.file_error == "There is no lever with the code 'nonesuch'."
    assert Pledge.objects.count() == 0


def test_an_empty_lever_cell_is_an_error_unless_a_lever_is_chosen(world):
    data = (
        "Donor,Amount,Currency,Date,Lever\n"
        "ACME,500,CHF,01.04.2024,\n"
        "ACME,700,CHF,02.04.2024,voluntary\n"
    )
    refused = do_import("pledges", data, lever=None)
    assert refused.counts["error"] == 1
    assert "Row 2: column Lever, value '': no lever" in refused.rows[0].message
    accepted = do_import("pledges", data, lever="voluntary")
    assert accepted.written
    assert defaults(accepted) == {
        ("lever", "Voluntary contributions"): 1,
        ("kind", "Cash"): 2,
        ("earmarking", "Unearmarked"): 2,
        ("title", "generated from partner and date"): 2,
        ("stage", "Pledged"): 2,
    }


def test_every_default_is_listed_with_its_row_count(world):
    data = (
        "Donor,Amount,Date,Stage,Title\n"
        "ACME,500,01.04.2024,,Giga\n"
        "ACME,600,,,\n"
        "ACME,700,03.04.2024,paid,Cyber\n"
    )
    result = do_import("pledges", data)
    assert result.written, [r.message for r in result.rows]
    assert defaults(result) == {
        ("currency", "CHF"): 3,
        ("lever", "Voluntary contributions"): 3,
        ("kind", "Cash"): 3,
        ("earmarking", "Unearmarked"): 3,
        ("stage", "Pledged"): 1,
        ("stage", "Prospect"): 1,
        ("stage", "Pledged (the file says fulfilled: payments decide that)"): 1,
        ("title", "generated from partner and date"): 1,
    }


def test_rows_with_errors_or_unchanged_count_no_default(world):
    do_import("pledges", NO_LEVER)
    again = do_import("pledges", NO_LEVER + "Nobody,X-1,5,CHF,01.04.2024\n")
    assert again.counts["unchanged"] == 2
    assert defaults(again) == {}


def test_fts_flows_keep_their_lever_fallback_but_the_preview_lists_it(world):
    data = (DATA / "imports_fts_flows.csv").read_bytes()
    result = do_import("fts", data, dry_run=True)
    assert not result.file_error
    listed = defaults(result)
    assert listed[("lever", "Voluntary contributions")] == result.counts["new"]


def test_import_data_refuses_a_file_without_lever_column_and_takes_lever(
    world, tmp_path, capsys
):
    path = tmp_path / "pledges.csv"
    path.write_text(NO_LEVER)
    with pytest.raises(CommandError, match=r"no lever column.*--lever"):
        call_command("import_data", "pledges", str(path))
    assert Pledge.objects.count() == 0
    call_command("import_data", "pledges", str(path), "--lever", "voluntary")
    assert "2 new" in capsys.readouterr().out
    assert Pledge.objects.filter(lever=world["lever"]).count() == 2


def test_the_import_form_asks_for_the_lever_and_the_preview_lists_defaults(
    admin_client, world
):
    form = admin_client.get(reverse("admin:pledges_pledge_import"))
    assert "From the file&#x27;s lever column" in form.text
    assert 'value="voluntary"' in form.text

    page = admin_client.post(
        reverse("admin:pledges_pledge_import"),
        {
            "file": SimpleUploadedFile("p.csv", NO_LEVER.encode()),
            "dates": "dayfirst",
            "resource": "pledges",
            "lever": "",
        },
    )
    assert "The file has no lever column" in page.text
    assert not page.context["can_import"]
    assert 'name="lever"' in page.text  # choose it here and preview again

    batch = ImportBatch.objects.get()
    url = reverse("admin:pledges_pledge_import_preview", args=[batch.pk])
    again = admin_client.post(
        url, {"dates": "dayfirst", "lever": "voluntary", "preview": "1"}
    )
    assert again.context["counts"]["new"] == 2
    assert "Defaults applied" in again.text
    assert "lever = Voluntary contributions on 2 rows" in again.text
    assert "stage = Pledged on 2 rows" in again.text
    assert 'value="voluntary" selected' in again.text
    done = admin_client.post(
        url, {"dates": "dayfirst", "lever": "voluntary", "confirm": "1"}
    )
    assert done.status_code == 302
    assert Pledge.objects.filter(lever=world["lever"]).count() == 2


def test_partner_and_engagement_imports_list_their_defaults_too(world):
    partners = do_import("partners", "Name\nNew Org\n", dry_run=True)
    assert defaults(partners) == {("category", "Other"): 1}
    engagements = do_import(
        "engagements",
        "Date,Subject,Partner\n2024-03-01,Lunch,ACME\n",
        dry_run=True,
    )
    assert not engagements.has_errors, [r.message for r in engagements.rows]
    assert defaults(engagements) == {("kind", "Meeting"): 1}


def test_a_partner_update_shows_its_changes_and_how_it_was_found(world):
    result = do_import(
        "partners", "Code,Website\nACME,https://acme.example\n", dry_run=True
    )
    row = result.rows[0]
    assert row.outcome == "update"
    assert row.detail["partner"] == [world["acme"].pk, "Acme Telecom", "code"]
    assert row.detail["changes"] == [["website", "—", "https://acme.example"]]
