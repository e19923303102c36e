"""Schedulers on several machines at once plan each digest once.

Real threads with their own connections against PostgreSQL: the unique
constraint on (user, digest, period) decides which run records a digest, and
only that run enqueues it.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from outreach.models import DigestSend
from outreach.services import digests_plan
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def test_schedulers_running_at_once_plan_each_digest_once(settings):
    settings.DIGEST_SEND_HOUR = 0
    users = [UserFactory() for _n in range(8)]
    start = threading.Barrier(4)
    planned: list[list[int]] = []

    def run() -> None:
        try:
            start.wait(5)
            planned.append([send.pk for send in digests_plan()])
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    every = [pk for run_planned in planned for pk in run_planned]
    assert len(planned) == 4
    assert sorted(every) == sorted(set(every))
    assert len(every) == len(users)
    assert DigestSend.objects.count() == len(users)
