"""Import batches: store the upload, run the import, record what came of it.

The admin, the ``import_data`` command and the background tasks all call
these, so every import leaves the same trail: an ``ImportBatch`` with who,
when, the file (in Django's storage, readable from any worker machine), its
checksum, the options, the counts, the error report and, until it is
imported, what its preview page shows.

Files above ``BACKGROUND_ROWS`` rows are previewed and imported on a worker
(``batch_enqueue``); the others in the request. Both go through ``batch_run``.
"""

from __future__ import annotations

from pathlib import PurePath

from django.core.files.base import ContentFile
from django.db import DatabaseError, connections, router, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.health import worker_state
from crm.imports.engine import CHUNK as CHUNK_ROWS
from crm.imports.engine import (
    ImportOptions,
    ImportResult,
    checksum,
    clip,
    run_import,
)
from crm.imports.registry import get_importer
from crm.lib.formats import format_number
from crm.lib.tabular import TableError
from crm.models import ImportBatch

# Files above this many rows are previewed and imported by a background task,
# not in the request.
BACKGROUND_ROWS = 10_000
PROGRESS_EVERY = 2_000
# Rows a preview keeps and shows (errors first); the counts cover them all.
PREVIEW_ROWS = 300
# What a batch keeps of a file's unknown columns and notes, whatever its size:
# the batch list and page stay small.
UNKNOWN_COLUMNS_KEPT = 50
NOTES_KEPT = 50
NOTE_CHARS = 300


def batch_create(
    *,
    resource: str,
    data: bytes,
    file_name: str,
    options: ImportOptions,
    user=None,
    dry_run: bool = False,
) -> ImportBatch:
    """A new batch holding the uploaded bytes in the default storage."""
    get_importer(resource)  # an unknown importer fails before anything is stored
    name = PurePath(file_name or "upload").name[:200]
    batch = ImportBatch(
        resource=resource,
        user=user if user is not None and user.pk else None,
        file_name=name,
        file_size=len(data),
        checksum=checksum(data),
        sheet=options.sheet or "",
        options=options.as_dict(),
        dry_run=dry_run,
        status=ImportBatch.Status.QUEUED,
    )
    batch.file.save(name, ContentFile(data), save=False)
    batch.save()
    return batch


def batch_data(batch: ImportBatch) -> bytes:
    with batch.file.open("rb") as handle:
        return handle.read()


# A batch a run may start: a preview or a failed import, or a file never run
# (just uploaded: queued, never finished).
STARTABLE = Q(status__in=[ImportBatch.Status.PREVIEWED, ImportBatch.Status.FAILED]) | Q(
    status=ImportBatch.Status.QUEUED, finished_at__isnull=True
)


class BatchBusy(Exception):
    """The batch is being previewed or imported, or was imported already."""

    def __init__(self, *, done: bool) -> None:
        self.done = done
        super().__init__(
            _("This file was imported already.")
            if done
            else _("This file is being previewed or imported.")
        )


def batch_run(
    *,
    batch: ImportBatch,
    dry_run: bool | None = None,
    options: ImportOptions | None = None,
    data: bytes | None = None,
) -> ImportResult:
    """Run (or preview) the import of a batch's file and record the outcome.

    The batch moves to "running" with a conditional UPDATE, so of two
    confirmations (a double click, two tabs, two web processes) one runs and
    the other raises ``BatchBusy``: nothing is imported twice.
    """
    claimed = ImportBatch.objects.filter(STARTABLE, pk=batch.pk).update(
        status=ImportBatch.Status.RUNNING, rows_done=0, finished_at=None
    )
    if not claimed:
        status = (
            ImportBatch.objects.filter(pk=batch.pk)
            .values_list("status", flat=True)
            .first()
        )
        raise BatchBusy(done=status == ImportBatch.Status.DONE)
    return _batch_execute(batch=batch, dry_run=dry_run, options=options, data=data)


def _batch_execute(
    *,
    batch: ImportBatch,
    dry_run: bool | None = None,
    options: ImportOptions | None = None,
    data: bytes | None = None,
) -> ImportResult:
    """Run a batch this process moved to "running"; record how it ended.

    The batch's final state is saved in the transaction that writes the
    data: a process killed at any point leaves either "running" and nothing
    written, or "done" and everything. A run that breaks is marked failed.
    """
    if dry_run is not None:
        batch.dry_run = dry_run
    if options is not None:
        batch.options = options.as_dict()
    options = ImportOptions.from_dict(batch.options, dry_run=batch.dry_run)
    batch.status = ImportBatch.Status.RUNNING
    batch.rows_done = 0
    batch.finished_at = None
    try:
        if data is None:
            data = batch_data(batch)
        progress, close = _progress_writer(batch)
        try:
            with transaction.atomic():
                result = run_import(
                    get_importer(batch.resource),
                    data,
                    filename=batch.file_name,
                    options=options,
                    batch=batch,
                    user=batch.user,
                    progress=progress,
                )
                batch_record(batch=batch, result=result)
        finally:
            close()
    except Exception as error:
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.FAILED,
            finished_at=timezone.now(),
            message=_("The run stopped on an unexpected error: %(error)s")
            % {"error": f"{type(error).__name__}: {error}"},
        )
        raise
    return result


def _progress_writer(batch: ImportBatch):
    """Save progress where the batch page can see it during the import.

    The import runs in one transaction, so on PostgreSQL progress goes
    through a second connection that commits at once; SQLite allows one
    writer, and there the figures appear when the import ends.
    """
    alias = router.db_for_write(ImportBatch)
    table = connections[alias].ops.quote_name(ImportBatch._meta.db_table)
    if connections[alias].vendor != "postgresql" and batch.dry_run:
        # The figures would be rolled back with the preview, and writing them
        # would lock SQLite against every other writer until it ends.
        return lambda done, total: None, lambda: None
    if connections[alias].vendor != "postgresql":

        def progress(done: int, total: int) -> None:
            ImportBatch.objects.filter(pk=batch.pk).update(
                rows_done=done, rows_total=total
            )

        return progress, lambda: None
    side = connections.create_connection(alias)

    def progress(done: int, total: int) -> None:
        if done != total and done % PROGRESS_EVERY >= CHUNK_ROWS:
            return
        try:
            with side.cursor() as cursor:
                # Never wait on a lock the import itself may hold.
                cursor.execute("SET lock_timeout = '200ms'")
                cursor.execute(
                    f"UPDATE {table} SET rows_done = %s, rows_total = %s WHERE id = %s",
                    [done, total, batch.pk],
                )
        except DatabaseError:
            pass

    return progress, side.close


def batch_record(*, batch: ImportBatch, result: ImportResult) -> None:
    counts = result.counts
    batch.rows_total = len(result.rows)
    batch.rows_done = len(result.rows)
    batch.rows_new = counts["new"]
    batch.rows_updated = counts["update"]
    batch.rows_unchanged = counts["unchanged"]
    batch.rows_skipped = counts["skipped"]
    batch.rows_error = counts["error"]
    batch.unknown_columns = cap_names(result.unknown_columns, UNKNOWN_COLUMNS_KEPT)
    if result.sheet:
        batch.sheet = result.sheet
    batch.message = "\n".join(
        [
            clip(result.summary(), 4 * NOTE_CHARS),
            *(clip(note, NOTE_CHARS) for note in result.notes[:NOTES_KEPT]),
        ]
    )
    if batch.dry_run:
        batch.status = ImportBatch.Status.PREVIEWED
    elif result.written:
        batch.status = ImportBatch.Status.DONE
    else:
        batch.status = ImportBatch.Status.FAILED
    # An imported file needs no preview any more; one that was not may be
    # previewed again or imported from its preview page.
    batch.preview = (
        {}
        if batch.status == ImportBatch.Status.DONE
        else result.preview(PREVIEW_ROWS).as_dict()
    )
    if result.rows and (result.has_errors or counts["skipped"]):
        stem = PurePath(batch.file_name).stem
        extension, content = result.report_file()
        batch.report.save(
            f"{stem}-errors.{extension}", ContentFile(content), save=False
        )
    elif batch.report:
        batch.report = ""
    batch.finished_at = timezone.now()
    batch.save()


def cap_names(names: list[str], limit: int) -> list[str]:
    """At most ``limit`` names, each shortened, and a count of the others."""
    kept = [clip(str(name), 100) for name in names[:limit]]
    if len(names) > limit:
        kept.append(_("… and %(n)s more") % {"n": format_number(len(names) - limit)})
    return kept


def batch_enqueue(
    *,
    batch: ImportBatch,
    dry_run: bool,
    options: ImportOptions | None = None,
    language: str | None = None,
) -> bool:
    """Preview (``dry_run``) or import the batch on a worker, after the commit.

    Returns False, queuing nothing, when the batch is queued, running or
    imported already: a second click on *Import* imports nothing twice.
    ``language`` is the one the rows' messages are written in.
    """
    from crm.imports.tasks import import_batch_task, preview_batch_task

    # The last run's counts would read as this one's until it ends; the rows
    # in the file stay, for the progress.
    changes = {
        "status": ImportBatch.Status.QUEUED,
        "dry_run": dry_run,
        "background": True,
        "rows_done": 0,
        "rows_new": 0,
        "rows_updated": 0,
        "rows_unchanged": 0,
        "rows_skipped": 0,
        "rows_error": 0,
        "message": "",
    }
    if options is not None:
        changes["options"] = options.as_dict()
    if not ImportBatch.objects.filter(STARTABLE, pk=batch.pk).update(**changes):
        return False
    for name, value in changes.items():
        setattr(batch, name, value)
    task = preview_batch_task if dry_run else import_batch_task
    transaction.on_commit(lambda: task.enqueue(batch.pk, language))
    return True


def batch_run_queued(
    *, batch_id: int, dry_run: bool, language: str | None = None
) -> dict[str, int]:
    """Run a batch queued by ``batch_enqueue``; what a worker calls.

    A batch no longer queued (run by a task queued twice) is left alone; one
    whose run breaks is marked failed, so its page stops waiting for it.
    """
    claimed = ImportBatch.objects.filter(
        pk=batch_id, status=ImportBatch.Status.QUEUED
    ).update(status=ImportBatch.Status.RUNNING)
    if not claimed:
        return {}
    batch = ImportBatch.objects.get(pk=batch_id)
    with translation.override(language or translation.get_language()):
        return _batch_execute(batch=batch, dry_run=dry_run).counts


class WorkerRunning(Exception):
    """A worker is alive: a queued or running batch is on its way."""


def batch_stop_waiting(*, batch: ImportBatch, user) -> bool:
    """Mark a queued or running batch failed: no worker will run or finish it.

    For a batch left "running" by a worker that stopped (its transaction was
    rolled back with it, so nothing of the file is in the database) or queued
    where no worker runs. The file can then be previewed or imported again.
    Raises ``WorkerRunning`` while a worker beats; returns False if the batch
    was neither queued nor running.
    """
    if worker_state()["status"] == "ok":
        raise WorkerRunning
    stopped = ImportBatch.objects.filter(
        pk=batch.pk,
        status__in=[ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING],
    ).update(
        status=ImportBatch.Status.FAILED,
        finished_at=timezone.now(),
        message=_(
            "Stopped by %(user)s: no background worker was running it. "
            "Nothing of this run was written."
        )
        % {"user": user.get_username()},
    )
    if stopped:
        batch.refresh_from_db()
    return bool(stopped)


def upload_check(*, data: bytes, file_name: str = "") -> int:
    """Refuse a file that is no table or is over the import limits; its rows.

    Raises ``TableError`` (``LimitExceeded`` for a limit) with the message for
    the user, before anything is stored. An XLSX goes through the guard
    (``crm.lib.xlsx_guard``): every part checked, the first
    ``BACKGROUND_ROWS`` rows of each sheet in full and the others counted, so
    the row count decides between the request and a worker without trusting
    ``<dimension>``. The remaining checks run when the file is read.
    """
    from crm.lib.tabular import check_text_cells, check_upload
    from crm.lib.xlsx_guard import inspect_xlsx

    if check_upload(data, file_name) == "xlsx":
        return inspect_xlsx(data, stop_after_rows=BACKGROUND_ROWS).rows
    check_text_cells(data)
    return _text_rows(data)


def estimate_rows(data: bytes, filename: str = "") -> int:
    """Rows in a file, counted in bounded time: lines of text, or the largest
    sheet's rows (0 for a file that cannot be read)."""
    try:
        return upload_check(data=data, file_name=filename)
    except TableError:
        return 0


def _text_rows(data: bytes) -> int:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.count(b"\n\x00") or data.count(b"\x00\n")
    return data.count(b"\n")


def describe(result: ImportResult) -> str:
    return _("%(file)s: %(summary)s") % {
        "file": result.file_name,
        "summary": result.summary(),
    }
