from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError
from django.utils import timezone

from crm.management.commands.db_worker import beat
from crm.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_health_reports_the_database_and_a_worker_never_seen(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "worker": {"status": "never seen"},
    }


def test_health_reports_the_last_worker_heartbeat(client):
    beat("worker-a")
    worker = client.get("/health/").json()["worker"]
    assert worker["status"] == "ok"
    assert worker["worker_id"] == "worker-a"
    assert worker["seconds_ago"] < 5


def test_a_worker_silent_for_a_minute_is_reported_stale(client):
    WorkerHeartbeat.objects.create(
        worker_id="worker-b", last_seen=timezone.now() - dt.timedelta(minutes=1)
    )
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["worker"]["status"] == "stale"


def test_health_fails_when_the_database_does_not_answer(client, monkeypatch):
    def broken():
        raise DatabaseError("connection refused")

    monkeypatch.setattr("crm.health.connection.cursor", broken)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["database"].startswith("unreachable")


def test_a_heartbeat_updates_the_same_worker_row():
    beat("worker-c")
    beat("worker-c")
    assert WorkerHeartbeat.objects.filter(worker_id="worker-c").count() == 1
