"""Plan the digests due now and hand them to the worker; retry failed ones.

Run it every few minutes (scripts/scheduler.sh does, beside the worker). It
may run on several machines at once: each digest is recorded once per user
and day (or week), and only the run that recorded it enqueues it.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from outreach.services import digests_enqueue, digests_plan, digests_to_retry


class Command(BaseCommand):
    help = "Send the daily and weekly digests that are due, and retry failed sends."

    def handle(self, *args, **options):
        planned = digests_plan()
        retries = digests_to_retry()
        digests_enqueue(planned + retries)
        self.stdout.write(f"{len(planned)} digest(s) planned, {len(retries)} retried.")
