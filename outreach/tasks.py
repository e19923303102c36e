"""Digests sent by the background worker (django-tasks-db in production)."""

from __future__ import annotations

from django.tasks import task


@task()
def send_digest(send_id: int) -> str:
    """Send the digest recorded as ``send_id``; returns its result."""
    from outreach.services import digest_send

    return digest_send(send_id=send_id).status
