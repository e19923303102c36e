"""API benchmark: the partner list and a 1,000-payment bulk upsert.

Runs on the load test's PostgreSQL database (``crm_load``: 100,000 partners,
1,000,000 engagements, 50,000 pledges; built as ``bench.load_test`` builds it
if missing, ``LOAD_REBUILD=1`` rebuilds; ``LOAD_DB`` names another) after
migrating it. Requests go through Django in this process (the API client of
DRF, a read-write token of the load test's superuser), so the figures are
the application's and the database's, without a web server in front.

It prints, for ``API_BENCH_SECONDS`` (default 10) each:

- requests/s and mean latency of the first page of the partner list (100
  partners with their memberships, tags and follow-up counts), of a search,
  and of the next page by cursor; with the queries each takes;
- the time of one bulk upsert of 1,000 payments on the load test's
  committed pledges: once new, once again (all "unchanged"), in records/s.

The payments it writes (external source ``api-bench``) are deleted at the
end. It asserts nothing.

    .venv/bin/python -m bench api_bench
"""

from __future__ import annotations

import datetime as dt
import os
import time

from bench.load_test import URL, build, manage

SECONDS = float(os.environ.get("API_BENCH_SECONDS", "10"))
BULK = 1000
SOURCE = "api-bench"


def setup_django() -> None:
    env = {**os.environ, "DATABASE_URL": URL, "DEBUG": "True"}
    build(env)
    manage("migrate", "--no-input", env=env)
    os.environ.update(DATABASE_URL=URL, DEBUG="True")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def client():
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from rest_framework.test import APIClient

    from api.services import api_token_create

    user = get_user_model().objects.get(username="load")
    _token, key = api_token_create(
        user=user,
        name=f"api bench {time.time_ns()}",
        scope="read_write",
        expires_on=timezone.localdate() + dt.timedelta(days=1),
    )
    api = APIClient(SERVER_NAME="127.0.0.1")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


def rate(api, url: str, label: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = api.get(url)  # warm up; also records the token's last use
    assert response.status_code == 200, response.content[:300]
    # DEBUG keeps the last 9,000 queries only: a full log would count none.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        api.get(url)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < SECONDS:
        api.get(url)
        count += 1
    spent = time.perf_counter() - started
    print(
        f"{label:<38} {count / spent:7.1f} requests/s  "
        f"{1000 * spent / count:7.1f} ms each  {len(captured)} queries"
    )


def bulk(api) -> None:
    from pledges.models import Payment, Pledge

    pledges = list(
        Pledge.objects.filter(
            stage__in=Pledge.Stage.COMMITTED, external_source="load"
        ).values_list("pk", flat=True)[:BULK]
    )
    run = time.time_ns()
    records = [
        {
            "external_source": SOURCE,
            "external_id": f"{run}-{i}",
            "pledge": pk,
            "received_on": dt.date.today().isoformat(),  # noqa: DTZ011
            "amount": "1.00",
            "currency": "CHF",
            "reference": f"BENCH-{i}",
        }
        for i, pk in enumerate(pledges)
    ]
    try:
        for label in ("new", "unchanged"):
            started = time.perf_counter()
            response = api.post(
                "/api/v1/payments/bulk/", {"records": records}, format="json"
            )
            spent = time.perf_counter() - started
            counts = response.json().get("counts")
            print(
                f"bulk upsert of {len(records)} payments ({label}): "
                f"{spent:6.2f} s, {len(records) / spent:7.1f} records/s  {counts}"
            )
    finally:
        Payment.objects.filter(external_source=SOURCE).delete()


def main() -> None:
    setup_django()
    from django.conf import settings

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_token": "100000000/minute"},
    }
    from partners.models import Partner

    print(f"{Partner.objects.count():,} partners; {SECONDS:.0f} s per figure")
    api = client()
    rate(api, "/api/v1/partners/", "partner list, first page of 100")
    rate(api, "/api/v1/partners/?search=korea", "partner list, search 'korea'")
    following = api.get("/api/v1/partners/").json()["next"]
    rate(api, following, "partner list, next page by cursor")
    rate(
        api,
        "/api/v1/partners/?updated_since=2020-01-01T00:00:00Z&ordering=-updated_at",
        "partners changed since a date",
    )
    bulk(api)


if __name__ == "__main__":
    main()
