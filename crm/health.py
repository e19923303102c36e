"""``/health/``: is the database reachable, and when did a worker last beat?"""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# A worker beats every WORKER_BEAT_SECONDS; three missed beats mean it is gone.
WORKER_BEAT_SECONDS = 15
WORKER_STALE_AFTER = 3 * WORKER_BEAT_SECONDS


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 when it does not.

    The worker's state is reported but does not fail the check: the web
    processes serve pages without it, and a load balancer should not take
    them out of rotation because the worker is down.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        worker = worker_state()
    except DatabaseError as error:
        return JsonResponse(
            {"status": "error", "database": f"unreachable: {error.__class__.__name__}"},
            status=503,
        )
    if "last_seen" in worker:
        worker["last_heartbeat"] = worker.pop("last_seen").isoformat()
    return JsonResponse({"status": "ok", "database": "ok", "worker": worker})


def worker_state() -> dict[str, object]:
    """The newest worker heartbeat: status "ok", "stale" or "never seen"."""
    from crm.models import WorkerHeartbeat

    beat = WorkerHeartbeat.objects.order_by("-last_seen").first()
    if beat is None:
        return {"status": "never seen"}
    age = (timezone.now() - beat.last_seen).total_seconds()
    return {
        "status": "ok" if age <= WORKER_STALE_AFTER else "stale",
        "last_seen": beat.last_seen,
        "seconds_ago": round(age, 1),
        "worker_id": beat.worker_id,
        "host": beat.hostname,
    }
