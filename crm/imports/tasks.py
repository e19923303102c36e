"""Background imports: large files run on a ``db_worker``, not in a request."""

from __future__ import annotations

from django.tasks import task


@task
def import_batch_task(batch_id: int) -> dict[str, int]:
    """Import a stored batch's file; progress and outcome are saved on the batch.

    The file is read through the storage API, so any worker machine can run it,
    and the browser that uploaded it may be closed meanwhile.
    """
    from crm.imports.services import batch_run
    from crm.models import ImportBatch

    batch = ImportBatch.objects.get(pk=batch_id)
    result = batch_run(batch=batch, dry_run=False)
    return result.counts
