"""Background imports: large files are previewed and imported on a ``db_worker``.

The file is read through the storage API, so any worker machine can run
them, and the browser that uploaded it may be closed meanwhile. Progress and
outcome are saved on the batch; ``crm.imports.services.batch_enqueue`` queues
them.
"""

from __future__ import annotations

from django.tasks import task


@task
def preview_batch_task(batch_id: int, language: str | None = None) -> dict[str, int]:
    """Preview a stored batch: plan every row, write nothing, keep the preview."""
    from crm.imports.services import batch_run_queued

    return batch_run_queued(batch_id=batch_id, dry_run=True, language=language)


@task
def import_batch_task(batch_id: int, language: str | None = None) -> dict[str, int]:
    """Import a stored batch with the options saved on it, all or nothing."""
    from crm.imports.services import batch_run_queued

    return batch_run_queued(batch_id=batch_id, dry_run=False, language=language)
