"""E-mail settings come from EMAIL_URL (or EMAIL_* variables), read once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRINT_MAILERS = (
    "import json, django; from django.conf import settings; "
    "print(json.dumps(settings.MAILERS))"
)


def mailers(**env: str) -> dict:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("EMAIL_") and k not in {"DEBUG", "SECRET_KEY"}
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="crm.settings")
    result = subprocess.run(
        [sys.executable, "-c", PRINT_MAILERS],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["default"]


def test_development_prints_e_mails_on_the_console():
    assert mailers()["BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_production_sends_through_the_smtp_server_in_email_url():
    mailer = mailers(
        DEBUG="False",
        SECRET_KEY="Zr8vQ1pT9wLk2mX7cN4bH6jF0sD3aG5eY8uI1oP2qW9zR4tV7xB",
        EMAIL_URL="smtp://crm%40example.org:p%40ss@mail.example.org:587/?tls=1",
    )
    assert mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    options = mailer["OPTIONS"]
    assert (options["host"], options["port"]) == ("mail.example.org", 587)
    assert (options["username"], options["password"]) == ("crm@example.org", "p@ss")
    assert (options["use_tls"], options["use_ssl"]) == (True, False)


def test_smtps_means_tls_from_the_start_on_port_465():
    options = mailers(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_URL="smtps://mail.example.org",
    )["OPTIONS"]
    assert (options["port"], options["use_ssl"], options["use_tls"]) == (
        465,
        True,
        False,
    )
