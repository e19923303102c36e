"""Confirm once: a file is imported once however often Import is clicked, and a
batch's state always matches what is in the database, even when its worker dies.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections
from django.urls import reverse

from crm.imports.engine import ImportOptions
from crm.imports.services import (
    BatchBusy,
    batch_create,
    batch_enqueue,
    batch_run,
    batch_stop_waiting,
)
from crm.models import ImportBatch
from pledges.models import Pledge
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


def pledge_rows(n: int, prefix: str = "AC") -> str:
    return "Donor,Reference,Amount,Currency,Date\n" + "".join(
        f"ACME,{prefix}-{i},{i}00,CHF,2024-04-01\n" for i in range(1, n + 1)
    )


def previewed_batch(content: str, user=None) -> ImportBatch:
    batch = batch_create(
        resource="pledges",
        data=content.encode(),
        file_name="pledges.csv",
        options=ImportOptions(lever="voluntary"),
        user=user,
        dry_run=True,
    )
    batch_run(batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED
    return batch


def test_a_second_confirmation_says_imported_already_and_imports_nothing(world):
    batch = previewed_batch(pledge_rows(5))
    assert batch_run(batch=batch, dry_run=False).written

    with pytest.raises(BatchBusy, match="imported already") as busy:
        batch_run(batch=ImportBatch.objects.get(pk=batch.pk), dry_run=False)

    assert busy.value.done
    assert Pledge.objects.count() == 5


def test_a_confirmation_from_a_page_opened_before_the_import_ends_changes_nothing(
    admin_client, superuser, world
):
    batch = previewed_batch(pledge_rows(5), user=superuser)
    url = reverse("admin:pledges_pledge_import_preview", args=[batch.pk])
    # The batch page was loaded while previewed; a worker is running it now.
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.RUNNING)

    response = admin_client.post(url, {"confirm": "1"}, follow=True)

    assert response.status_code == 200
    assert "being previewed or imported" in response.content.decode()
    assert Pledge.objects.count() == 0


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_confirmations_import_the_file_once(world, superuser):
    batch = previewed_batch(pledge_rows(300), user=superuser)
    url = reverse("admin:pledges_pledge_import_preview", args=[batch.pk])
    start = threading.Barrier(2)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def confirm() -> None:
        from django.test import Client

        client = Client()
        client.force_login(superuser)
        try:
            start.wait()
            statuses.append(
                client.post(url, {"confirm": "1", "lever": "voluntary"}).status_code
            )
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert statuses == [302, 302]
    assert Pledge.objects.count() == 300
    batch.refresh_from_db()
    assert (batch.status, batch.rows_new) == (ImportBatch.Status.DONE, 300)


# A worker that sets Django up once, then runs each batch id it reads in a
# child process of its own, which the test kills: "pid" when the child starts,
# "end" when it is gone.
WORKER = """
import os, sys, django
django.setup()
from django.db import connections
from crm.imports.registry import get_importer
from crm.imports.services import batch_run_queued
get_importer("pledges")
for line in sys.stdin:
    connections.close_all()
    pid = os.fork()
    if pid == 0:
        batch_run_queued(batch_id=int(line), dry_run=False)
        os._exit(0)
    print(pid, flush=True)
    os.waitpid(pid, 0)
    print("end", flush=True)
"""


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_at_any_point_leaves_state_and_data_agreeing(
    world, settings, tmp_path, django_capture_on_commit_callbacks
):
    """Kill the import's process at random points; the batch tells the truth."""
    rows = 500
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "MEDIA_ROOT": str(tmp_path),
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
    }

    def queued(n: int) -> ImportBatch:
        batch = batch_create(
            resource="pledges",
            data=pledge_rows(rows, prefix=f"K{n}").encode(),
            file_name="pledges.csv",
            options=ImportOptions(lever="voluntary"),
        )
        with django_capture_on_commit_callbacks():  # no task: the process runs it
            assert batch_enqueue(batch=batch, dry_run=False)
        return batch

    server = subprocess.Popen(
        [sys.executable, "-c", WORKER],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def run(batch: ImportBatch, kill_after: float | None = None) -> None:
        server.stdin.write(f"{batch.pk}\n")
        server.stdin.flush()
        pid = int(server.stdout.readline())
        if kill_after is not None:
            time.sleep(kill_after)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert server.stdout.readline() == "end\n"

    # How long a whole import takes, so kills fall before, during and after it.
    batch = queued(0)
    began = time.monotonic()
    run(batch)
    whole = time.monotonic() - began
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE

    stopper = UserFactory(username="stopper")
    seed = random.randrange(10**6)
    chance = random.Random(seed)
    outcomes = []
    for n in range(1, 9):
        batch = queued(n)
        run(batch, kill_after=chance.uniform(0, whole * 1.2))
        batch.refresh_from_db()
        written = Pledge.objects.filter(import_batch=batch).count()
        outcomes.append(batch.status)
        if batch.status == ImportBatch.Status.DONE:
            assert (written, batch.rows_new) == (rows, rows), seed
        else:
            assert batch.status in (
                ImportBatch.Status.QUEUED,
                ImportBatch.Status.RUNNING,
            ), seed
            assert written == 0, seed
            # "Stop waiting" says nothing was written, and that is true.
            assert batch_stop_waiting(batch=batch, user=stopper)
            assert "Nothing of this run was written" in batch.message
    server.stdin.close()
    server.wait(timeout=30)
    assert Pledge.objects.count() == rows * (1 + outcomes.count("done")), seed
