from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import Permission
from django.core.management import call_command

from tests.factories import UserFactory

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _outreach_settings(settings):
    settings.TASKS = IMMEDIATE
    settings.SITE_URL = "https://crm.example.org"
    settings.DIGEST_SEND_HOUR = 0


@pytest.fixture
def officer(db):
    """Sees partners, follow-ups and pledges, not confidential engagements."""
    user = UserFactory(username="officer", email="officer@example.org")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["partners", "pledges", "reports", "crm"]
        ).exclude(codename="view_confidential_engagement")
    )
    return user


@pytest.fixture
def send_digests(django_capture_on_commit_callbacks):
    """Runs the scheduler's command; tasks enqueued on commit run at once."""

    def run() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_digests")

    return run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What a real SMTP server received."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def smtp_server(smtp_port):
    """Starts an SMTP server on ``smtp_port`` when called; stopped after the test."""
    started = []

    def start() -> Inbox:
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        started.append(controller)
        return inbox

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_port):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_port, "timeout": 5},
        }
    }
    return settings
