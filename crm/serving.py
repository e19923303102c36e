"""Refuse to serve real traffic in development mode.

``crm.wsgi`` and ``crm.asgi`` are what production servers (gunicorn, uvicorn,
uWSGI...) load. Development mode (``DEBUG``, the default so that a fresh
checkout runs) shows tracebacks and settings to anyone, so those modules
refuse to load with it on, unless the server is Django's own ``runserver``.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_debug_outside_runserver(argv: list[str] | None = None) -> None:
    argv = sys.argv if argv is None else argv
    if settings.DEBUG and "runserver" not in argv:
        raise ImproperlyConfigured(
            "DEBUG is on: a production server must run with DEBUG=False "
            "(and a long random SECRET_KEY). For development use "
            "`make run` (manage.py runserver)."
        )
