"""Background printing of large packs (Django tasks; django-tasks-db in production)."""

from __future__ import annotations

from django.tasks import task


@task()
def print_queued_brief(log_id: int) -> int:
    """Print the pack queued as print log entry ``log_id`` and store the PDF."""
    from reports.briefs.printing import brief_run_queued

    return brief_run_queued(log_id=log_id).pk
