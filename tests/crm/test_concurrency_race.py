"""Two saves of one record at the same moment: the second sees the first.

Real threads, real transactions: the version check locks the row
(PostgreSQL) or runs in a transaction holding the write lock (SQLite's
IMMEDIATE transactions), so the second save waits and then finds the change.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import (
    OperationalError,
    connection,
    transaction,
)

from crm.lib.concurrency import EditConflict, ensure_unchanged, version_token
from partners.models import Partner
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_of_two_simultaneous_saves_the_second_is_refused():
    partner = PartnerFactory(name="Atlantic Foundation")
    version = version_token(partner)
    checked = threading.Event()
    outcomes: dict[str, str] = {}

    def save(who: str, notes: str, first: bool) -> None:
        if not first:
            checked.wait(5)
        try:
            for _attempt in range(50):
                try:
                    outcomes[who] = save_once(notes, first)
                    return
                except OperationalError:
                    # SQLite's in-memory test database refuses a second
                    # writer at once where a database file waits for the
                    # lock (its busy timeout): wait here the same way.
                    time.sleep(0.1)
        finally:
            connection.close()

    def save_once(notes: str, first: bool) -> str:
        with transaction.atomic():
            record = Partner.objects.get(pk=partner.pk)
            try:
                ensure_unchanged(record=record, version=version)
            except EditConflict:
                return "conflict"
            if first:
                checked.set()
                time.sleep(0.5)  # The other save starts now.
            record.notes = notes
            record.save()
            return "saved"

    threads = [
        threading.Thread(target=save, args=("alice", "From Alice.", True)),
        threading.Thread(target=save, args=("bob", "From Bob.", False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert outcomes == {"alice": "saved", "bob": "conflict"}
    assert Partner.objects.get(pk=partner.pk).notes == "From Alice."
