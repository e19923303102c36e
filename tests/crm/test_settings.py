"""Production settings refuse to start unsafely."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_check(**env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_check(DEBUG="False", ALLOWED_HOSTS="crm.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_the_development_key():
    result = run_check(
        DEBUG="False",
        ALLOWED_HOSTS="crm.example.org",
        SECRET_KEY="django-insecure-local-development-only",
    )
    assert result.returncode != 0


def test_production_settings_pass_the_deploy_checks():
    result = run_check(
        DEBUG="False",
        ALLOWED_HOSTS="crm.example.org",
        SECRET_KEY="Zr8vQ1pT9wLk2mX7cN4bH6jF0sD3aG5eY8uI1oP2qW9zR4tV7xB",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
