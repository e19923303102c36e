"""django-tasks-db's ``db_worker`` with a heartbeat for ``/health/``.

The project's ``crm`` app comes before ``django_tasks_db`` in INSTALLED_APPS,
so ``manage.py db_worker`` runs this command. A thread records the worker's
heartbeat every few seconds in its own database connection.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from django.db import close_old_connections, connection
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from crm.health import WORKER_BEAT_SECONDS

logger = logging.getLogger(__name__)


def beat(worker_id: str) -> None:
    from crm.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:100],
            "pid": os.getpid(),
            "last_seen": timezone.now(),
        },
    )


def _beat_forever(worker_id: str, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            close_old_connections()
            beat(worker_id)
        except Exception:
            # A missed beat must not kill the worker; /health/ will show it stale.
            logger.warning("Worker heartbeat failed", exc_info=True)
        stop.wait(WORKER_BEAT_SECONDS)
    connection.close()


class Command(DBWorkerCommand):
    help = DBWorkerCommand.help + " Records a heartbeat shown on /health/."

    def handle(self, *args, **options):
        worker_id = options["worker_id"]
        stop = threading.Event()
        thread = threading.Thread(
            target=_beat_forever, args=(worker_id, stop), daemon=True, name="heartbeat"
        )
        thread.start()
        try:
            return super().handle(*args, **options)
        finally:
            stop.set()
