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


def load_server_app(module: str, **env: str) -> subprocess.CompletedProcess:
    """Import the app a production server (gunicorn, uvicorn) would load."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", f"import {module}; print('loaded')"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_production_server_refuses_debug_mode():
    for module in ("crm.wsgi", "crm.asgi"):
        # DEBUG unset means development mode.
        result = load_server_app(module)
        assert result.returncode != 0, module
        assert "DEBUG is on: a production server must run with DEBUG=False" in (
            result.stderr
        )
        result = load_server_app(module, DEBUG="True")
        assert result.returncode != 0, module


def test_a_production_server_loads_with_debug_off():
    result = load_server_app(
        "crm.wsgi",
        DEBUG="False",
        ALLOWED_HOSTS="crm.example.org",
        SECRET_KEY="Zr8vQ1pT9wLk2mX7cN4bH6jF0sD3aG5eY8uI1oP2qW9zR4tV7xB",
    )
    assert result.returncode == 0, result.stderr
    assert "loaded" in result.stdout
