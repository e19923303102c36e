from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.imports import services
from crm.lib.tabular import check_upload
from crm.models import ImportBatch, WorkerHeartbeat
from pledges.models import Pledge
from tests.factories import UserFactory
from tests.imports.conftest import DATA

PLEDGES = (
    "Donor,Reference,Amount,Currency,Date\n"
    '"Luxembourg, Government of",LU-1,1000,CHF,31.03.2024\n'
    "Acme Telekom,AC-1,500,CHF,01.04.2024\n"
)


def upload(client, url_name, content, name="pledges.csv", **data):
    return client.post(
        reverse(url_name),
        {
            "file": SimpleUploadedFile(name, content),
            "dates": "dayfirst",
            "lever": "voluntary",
            **data,
        },
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
            "lever": "voluntary",
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
            "lever": "voluntary",
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
        options=ImportOptions(lever="voluntary"),
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


# Large files: previewed, then imported, by a background task.

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
LARGE = (
    "Donor,Reference,Amount,Currency,Date\n"
    + "".join(f"Acme Telekom,AC-{n},{n}00,CHF,0{n}.04.2024\n" for n in range(1, 7))
    + "ACME,AC-9,900,CHF,31.02.2024\n"
)


@pytest.fixture
def large(settings, monkeypatch):
    """Files above 5 rows go to the background; tasks run at once."""
    settings.TASKS = IMMEDIATE
    monkeypatch.setattr(services, "BACKGROUND_ROWS", 5)


def post(client, url, data, capture):
    """POST, then run what the request queued for after its commit."""
    with capture(execute=True):
        return client.post(url, {"lever": "voluntary", **data})


def test_a_large_file_is_previewed_in_the_background_and_imported_on_confirmation(
    admin_client, world, large, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        page = upload(
            admin_client,
            "admin:pledges_pledge_import",
            LARGE.encode(),
            resource="pledges",
        )
    batch = ImportBatch.objects.get()
    batch_page = reverse("admin:crm_importbatch_change", args=[batch.pk])
    preview_page = reverse("admin:pledges_pledge_import_preview", args=[batch.pk])
    assert (page.status_code, page.url) == (302, batch_page)
    batch.refresh_from_db()
    assert (batch.status, batch.background) == (ImportBatch.Status.PREVIEWED, True)
    assert (batch.rows_total, batch.rows_error) == (7, 7)
    assert Pledge.objects.count() == 0  # nothing is written before confirmation

    detail = admin_client.get(batch_page)
    assert "The preview is ready" in detail.text
    assert preview_page in detail.text

    shown = admin_client.get(preview_page)
    assert shown.status_code == 200
    assert [row.outcome for row in shown.context["rows"]] == ["error"] * 7
    assert "31.02.2024" in shown.text
    assert "Acme Telecom" in shown.text  # the suggestion to tick
    assert reverse("admin:crm_importbatch_report", args=[batch.pk]) in shown.text
    assert not shown.context["can_import"]

    # Import with errors, without "valid rows only": nothing is written.
    refused = post(
        admin_client,
        preview_page,
        {"dates": "dayfirst", "confirm": "1"},
        django_capture_on_commit_callbacks,
    )
    assert refused.url == batch_page
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert Pledge.objects.count() == 0

    # Tick the suggestion and preview again, in the background.
    suggestion = shown.context["result"].suggestions[0]
    choice = {f"partner:{suggestion.spelling}": suggestion.partner_id}
    again = post(
        admin_client,
        preview_page,
        {"dates": "dayfirst", "valid_rows_only": "on", "preview": "1", **choice},
        django_capture_on_commit_callbacks,
    )
    assert again.url == batch_page
    shown = admin_client.get(preview_page)
    assert (shown.context["counts"]["new"], shown.context["counts"]["error"]) == (6, 1)
    assert shown.context["rows"][0].outcome == "error"
    assert shown.context["can_import"]
    assert Pledge.objects.count() == 0

    done = post(
        admin_client,
        preview_page,
        {"dates": "dayfirst", "valid_rows_only": "on", "confirm": "1", **choice},
        django_capture_on_commit_callbacks,
    )
    assert done.url == batch_page
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert (batch.rows_new, batch.rows_error, batch.preview) == (6, 1, {})
    assert set(Pledge.objects.values_list("import_batch", flat=True)) == {batch.pk}
    assert set(Pledge.objects.values_list("partner", flat=True)) == {world["acme"].pk}
    history = Pledge.history.filter(history_change_reason=f"import batch {batch.pk}")
    assert history.count() == 6
    assert {h.history_user.username for h in history} == {"admin"}
    detail = admin_client.get(batch_page)
    assert "The preview is ready" not in detail.text
    assert admin_client.get(preview_page).url == batch_page


def test_a_large_file_waits_for_a_worker_and_its_page_says_so(
    admin_client, world, large
):
    # Without running the on-commit callbacks, the task is never enqueued.
    upload(
        admin_client, "admin:pledges_pledge_import", LARGE.encode(), resource="pledges"
    )
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.dry_run) == (ImportBatch.Status.QUEUED, True)
    detail = admin_client.get(reverse("admin:crm_importbatch_change", args=[batch.pk]))
    assert "Preparing the preview" in detail.text
    assert "Waiting for a background worker" in detail.text
    assert 'http-equiv="refresh"' in detail.text
    # No worker has ever run here: the page says who can fix it.
    assert "No background worker has run yet" in detail.text
    WorkerHeartbeat.objects.create(
        worker_id="w1", hostname="crm-1", last_seen=timezone.now()
    )
    detail = admin_client.get(reverse("admin:crm_importbatch_change", args=[batch.pk]))
    assert 'id="no-worker"' not in detail.text
    WorkerHeartbeat.objects.update(last_seen=timezone.now() - dt.timedelta(minutes=5))
    detail = admin_client.get(reverse("admin:crm_importbatch_change", args=[batch.pk]))
    assert "No background worker has been heard from for 5" in detail.text
    preview = admin_client.get(
        reverse("admin:pledges_pledge_import_preview", args=[batch.pk])
    )
    assert preview.status_code == 302
    assert Pledge.objects.count() == 0


def test_a_file_no_worker_runs_can_be_given_up_and_tried_again(
    admin_client, world, large
):
    upload(
        admin_client, "admin:pledges_pledge_import", LARGE.encode(), resource="pledges"
    )
    batch = ImportBatch.objects.get()
    page = reverse("admin:crm_importbatch_change", args=[batch.pk])
    stop = reverse("admin:crm_importbatch_stop_waiting", args=[batch.pk])
    assert "Stop waiting" in admin_client.get(page).text

    # Not while a worker is alive, and not for someone else's file.
    WorkerHeartbeat.objects.create(worker_id="w1", last_seen=timezone.now())
    response = admin_client.post(stop, follow=True)
    assert "A background worker is running" in response.text
    assert ImportBatch.objects.get().status == ImportBatch.Status.QUEUED
    WorkerHeartbeat.objects.all().delete()
    other = UserFactory(is_staff=True, username="other")
    other.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["pledges", "crm"])
    )
    client = Client()
    client.force_login(other)
    assert "Stop waiting" not in client.get(page).text
    assert client.post(stop).status_code == 403

    response = admin_client.post(stop, follow=True)
    assert "Nothing of this run was written" in response.text
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert "Stopped by admin" in batch.message
    assert Pledge.objects.count() == 0
    # The file may be queued again.
    assert services.batch_enqueue(batch=batch, dry_run=True)


def test_another_user_cannot_open_a_preview(
    admin_client, client, world, large, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(
            admin_client,
            "admin:pledges_pledge_import",
            LARGE.encode(),
            resource="pledges",
        )
    batch = ImportBatch.objects.get()
    other = UserFactory(is_staff=True, username="other")
    other.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["pledges", "crm"])
    )
    client.force_login(other)
    preview_page = reverse("admin:pledges_pledge_import_preview", args=[batch.pk])

    assert client.get(reverse("admin:pledges_pledge_import")).status_code == 200
    assert client.get(preview_page).status_code == 403
    assert client.post(preview_page, {"confirm": "1"}).status_code == 403
    detail = client.get(reverse("admin:crm_importbatch_change", args=[batch.pk]))
    assert detail.status_code == 200
    assert preview_page not in detail.text
    assert Pledge.objects.count() == 0


def test_a_small_files_preview_opens_again_from_its_batch(admin_client, world):
    upload(
        admin_client,
        "admin:pledges_pledge_import",
        PLEDGES.encode(),
        resource="pledges",
    )
    batch = ImportBatch.objects.get()
    assert not batch.background
    detail = admin_client.get(reverse("admin:crm_importbatch_change", args=[batch.pk]))
    preview_page = reverse("admin:pledges_pledge_import_preview", args=[batch.pk])
    assert preview_page in detail.text
    shown = admin_client.get(preview_page)
    assert shown.context["counts"]["new"] == 1
    assert "Acme Telekom" in shown.text


def test_the_batch_and_preview_pages_take_a_bounded_number_of_queries(
    admin_client,
    world,
    large,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    for _n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            upload(
                admin_client,
                "admin:pledges_pledge_import",
                LARGE.encode(),
                resource="pledges",
            )
    batch = ImportBatch.objects.first()
    # Session, user, the batches (and the list's counts and filter).
    with django_assert_max_num_queries(6):
        admin_client.get(reverse("admin:crm_importbatch_changelist"))
    # ... and the lever named in its options.
    with django_assert_max_num_queries(6):
        admin_client.get(reverse("admin:crm_importbatch_change", args=[batch.pk]))
    # Session, user, the batch, the levers of the form: not one per row.
    with django_assert_max_num_queries(4):
        admin_client.get(
            reverse("admin:pledges_pledge_import_preview", args=[batch.pk])
        )
