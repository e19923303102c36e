from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from crm.imports.engine import ImportOptions, Preview
from crm.imports.services import batch_create, batch_enqueue, batch_run
from crm.imports.tasks import import_batch_task, preview_batch_task
from crm.models import ImportBatch
from pledges.models import Pledge
from tests.imports.conftest import do_import

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
ROWS = "Donor,Reference,Amount,Currency,Date\n" + "".join(
    f"ACME,AC-{n},{n}00,CHF,2024-04-0{n}\n" for n in range(1, 6)
)


def new_batch(content: str = ROWS) -> ImportBatch:
    return batch_create(
        resource="pledges",
        data=content.encode(),
        file_name="pledges.csv",
        options=ImportOptions(lever="voluntary"),
        dry_run=True,
    )


def test_a_preview_keeps_the_first_rows_errors_first_and_counts_them_all(world):
    content = ROWS + "Nobody,NB-1,100,CHF,2024-01-01\n"
    result = do_import("pledges", content, dry_run=True)

    preview = Preview.from_dict(result.preview(3).as_dict())

    assert [(row.line, row.outcome) for row in preview.rows] == [
        (7, "error"),
        (2, "new"),
        (3, "new"),
    ]
    assert "Nobody" in preview.rows[0].message
    assert preview.rows[1].raw == ["ACME", "AC-1", "100", "CHF", "2024-04-01"]
    assert (preview.counts["new"], preview.counts["error"]) == (5, 1)
    assert (preview.total_rows, preview.hidden_rows) == (6, 3)
    assert preview.has_errors
    assert preview.summary() == result.summary()


def test_a_previewed_batch_keeps_its_preview_until_it_is_imported(world):
    batch = new_batch()
    batch_run(batch=batch)
    batch.refresh_from_db()
    assert batch.preview["counts"]["new"] == 5
    assert len(batch.preview["rows"]) == 5

    batch_run(batch=batch, dry_run=False)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert batch.preview == {}


def test_a_batch_is_queued_once_however_often_import_is_clicked(
    world, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    batch = new_batch()
    with django_capture_on_commit_callbacks(execute=True):
        assert batch_enqueue(batch=batch, dry_run=True)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED

    with django_capture_on_commit_callbacks() as queued:
        assert batch_enqueue(batch=batch, dry_run=False)
        assert not batch_enqueue(batch=batch, dry_run=False)
        assert not batch_enqueue(
            batch=ImportBatch.objects.get(pk=batch.pk), dry_run=True
        )
    assert len(queued) == 1
    assert Pledge.objects.count() == 0
    queued[0]()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert Pledge.objects.count() == 5
    assert not batch_enqueue(batch=batch, dry_run=True)


def test_a_task_queued_twice_runs_once(world, settings):
    settings.TASKS = IMMEDIATE
    batch = new_batch()
    assert import_batch_task.enqueue(batch.pk).return_value["new"] == 5
    assert import_batch_task.enqueue(batch.pk).return_value == {}
    assert Pledge.objects.count() == 5


def test_a_background_preview_writes_in_the_uploaders_language(world, settings):
    settings.TASKS = IMMEDIATE
    batch = new_batch(ROWS + "Nobody,NB-1,100,CHF,2024-01-01\n")
    preview_batch_task.enqueue(batch.pk, "fr")
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED
    assert batch.preview["rows"][0][2].startswith("Ligne 7")


def test_a_run_that_breaks_marks_its_batch_failed(world, settings):
    settings.TASKS = IMMEDIATE
    batch = new_batch()
    # The stored upload is gone (storage emptied, wrong bucket).
    default_storage.delete(batch.file.name)

    with pytest.raises(FileNotFoundError):
        preview_batch_task.call(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert "FileNotFoundError" in batch.message
    assert batch.finished_at is not None
