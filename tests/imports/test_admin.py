from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.imports import services
from crm.lib.tabular import check_upload
from crm.models import ImportBatch
from pledges.models import Pledge
from tests.imports.conftest import DATA

PLEDGES = (
    "Donor,Reference,Amount,Currency,Date\n"
    '"Luxembourg, Government of",LU-1,1000,CHF,31.03.2024\n'
    "Acme Telekom,AC-1,500,CHF,01.04.2024\n"
)


def upload(client, url_name, content, name="pledges.csv", **data):
    return client.post(
        reverse(url_name),
        {"file": SimpleUploadedFile(name, content), "dates": "dayfirst", **data},
    )


def test_each_changelist_has_import_and_export(admin_client, world):
    for model in [
        "partners_partner",
        "partners_contact",
        "partners_engagement",
        "pledges_pledge",
        "pledges_payment",
        "crm_exchangerate",
    ]:
        page = admin_client.get(reverse(f"admin:{model}_changelist"))
        assert page.status_code == 200
        assert reverse(f"admin:{model}_import").encode() in page.content
        assert b"Export" in page.content
        form = admin_client.get(reverse(f"admin:{model}_import"))
        assert form.status_code == 200
        assert admin_client.get(reverse(f"admin:{model}_export")).status_code == 200


def test_upload_preview_confirm(admin_client, world):
    page = upload(
        admin_client,
        "admin:pledges_pledge_import",
        PLEDGES.encode(),
        resource="pledges",
    )
    assert page.status_code == 200
    content = page.content.decode()
    assert "Acme Telekom" in content and "Acme Telecom" in content  # suggestion
    assert Pledge.objects.count() == 0
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.PREVIEWED
    suggestion = page.context["result"].suggestions[0]
    url = reverse("admin:pledges_pledge_import_preview", args=[batch.pk])
    again = admin_client.post(
        url,
        {
            "dates": "dayfirst",
            f"partner:{suggestion.spelling}": suggestion.partner_id,
            "preview": "1",
        },
    )
    assert again.context["counts"]["new"] == 2
    assert again.context["can_import"]
    done = admin_client.post(
        url,
        {
            "dates": "dayfirst",
            f"partner:{suggestion.spelling}": suggestion.partner_id,
            "confirm": "1",
        },
    )
    assert done.status_code == 302
    assert Pledge.objects.count() == 2
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert batch.user.username == "admin"
    assert set(Pledge.objects.values_list("import_batch", flat=True)) == {batch.pk}
    listing = admin_client.get(reverse("admin:crm_importbatch_changelist"))
    assert b"pledges.csv" in listing.content
    detail = admin_client.get(reverse("admin:crm_importbatch_change", args=[batch.pk]))
    assert detail.status_code == 200
    assert batch.checksum.encode() in detail.content


def test_errors_are_shown_and_the_report_downloads(admin_client, world):
    page = upload(
        admin_client,
        "admin:pledges_pledge_import",
        b"Donor,Amount,Currency,Date\nNobody,100,CHF,31.02.2024\n",
        resource="pledges",
    )
    assert not page.context["can_import"]
    assert "31.02.2024" in page.content.decode()
    batch = ImportBatch.objects.get()
    report = admin_client.get(reverse("admin:crm_importbatch_report", args=[batch.pk]))
    assert report.status_code == 200
    body = b"".join(report.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0] == "Donor,Amount,Currency,Date,Import error"
    assert "31.02.2024" in body.splitlines()[1]


def test_an_fts_export_uploaded_on_pledges_is_read_as_fts(admin_client, world):
    data = (DATA / "imports_fts_flows.csv").read_bytes()
    page = upload(
        admin_client,
        "admin:pledges_pledge_import",
        data,
        name="fts.csv",
        resource="pledges",
    )
    assert page.context["batch"].resource == "fts"
    assert page.context["counts"]["new"] == 3


def test_a_large_file_runs_in_the_background(
    admin_client, world, settings, monkeypatch
):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }
    monkeypatch.setattr(services, "BACKGROUND_ROWS", 2)
    monkeypatch.setattr("crm.imports.admin.BACKGROUND_ROWS", 2)
    content = "Donor,Amount,Currency,Date\n" + "".join(
        f"ACME,{n},CHF,2024-01-{n:02d}\n" for n in range(1, 6)
    )
    page = upload(
        admin_client,
        "admin:pledges_pledge_import",
        content.encode(),
        resource="pledges",
    )
    batch = ImportBatch.objects.get()
    assert page.status_code == 302
    assert page.url == reverse("admin:crm_importbatch_change", args=[batch.pk])
    # on_commit callbacks run at the end of the test transaction only when asked.
    batch.refresh_from_db()
    assert batch.status in (ImportBatch.Status.QUEUED, ImportBatch.Status.DONE)


def test_the_background_task_imports_the_stored_file(world, settings):
    from crm.imports.engine import ImportOptions
    from crm.imports.tasks import import_batch_task

    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }
    batch = services.batch_create(
        resource="pledges",
        data=PLEDGES.replace("Telekom", "Telecom").encode(),
        file_name="p.csv",
        options=ImportOptions(),
    )
    result = import_batch_task.enqueue(batch.pk)
    assert result.return_value["new"] == 2
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert batch.rows_done == batch.rows_total == 2


def test_staff_without_add_permission_sees_no_import(client, staff_user, world):
    client.force_login(staff_user)
    page = client.get(reverse("admin:pledges_pledge_import"))
    assert page.status_code == 403


def test_the_error_report_downloads_for_its_uploader_only(
    admin_client, client, staff_user, world
):
    upload(
        admin_client,
        "admin:pledges_pledge_import",
        b"Donor,Amount,Currency,Date\nNobody,100,CHF,31.02.2024\n",
        resource="pledges",
    )
    batch = ImportBatch.objects.get()
    client.force_login(staff_user)  # may view the import log
    address = reverse("admin:crm_importbatch_report", args=[batch.pk])

    assert (
        client.get(reverse("admin:crm_importbatch_change", args=[batch.pk])).status_code
        == 200
    )
    assert client.get(address).status_code == 404


def test_the_upload_is_checked_by_content_not_by_name(admin_client, world, settings):
    png = (DATA / "image_renamed.csv").read_bytes()
    fake_xlsx = b"PK\x03\x04" + b"\x00" * 100

    for content, name in ((png, "donors.csv"), (fake_xlsx, "donors.xlsx")):
        page = upload(
            admin_client,
            "admin:pledges_pledge_import",
            content,
            name,
            resource="pledges",
        )
        assert page.status_code == 200
        assert "file" in page.context["form"].errors, name
    assert not ImportBatch.objects.exists()

    settings.IMPORT_MAX_UPLOAD_MB = 0
    page = upload(
        admin_client,
        "admin:pledges_pledge_import",
        b"Donor,Amount\nX,1\n",
        resource="pledges",
    )
    assert "larger than 0 MB" in str(page.context["form"].errors["file"])


def test_a_real_workbook_passes_the_upload_check():
    data = (DATA / "imports_pledges_multisheet.xlsx").read_bytes()
    assert check_upload(data, "anything.csv") == "xlsx"
