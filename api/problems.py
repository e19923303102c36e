"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error answers ``{"type", "title", "status", "detail", "instance"}``;
a validation error adds ``errors``: one entry per field with the value sent
and the message, so the caller can tell which field of which record failed.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "/api/v1/problems/"


def problem(
    *,
    status_code: int,
    title: str,
    detail: str = "",
    kind: str = "",
    request=None,
    **extra,
) -> Response:
    body = {
        "type": f"{TYPE_BASE}{kind}" if kind else "about:blank",
        "title": title,
        "status": status_code,
        "detail": detail or title,
    }
    if request is not None:
        body["instance"] = request.get_full_path()
    body.update(extra)
    response = Response(body, status=status_code)
    response.content_type = PROBLEM_JSON
    return response


def django_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ValidationError as ``{field: [messages]}`` (``""`` for the record)."""
    if hasattr(error, "error_dict"):
        return {
            ("" if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in error.message_dict.items()
        }
    return {"": [str(m) for m in error.messages]}


def field_errors(detail, data, prefix: str = "") -> list[dict]:
    """Flatten DRF error detail into ``[{"field", "value", "message"}]``."""
    out = []
    if isinstance(detail, dict):
        for name, sub in detail.items():
            field = "" if name in ("non_field_errors", "__all__", "") else name
            path = f"{prefix}.{field}" if prefix and field else (field or prefix)
            value = data.get(name) if isinstance(data, dict) else None
            out.extend(field_errors(sub, value if field else data, path))
        return out
    if isinstance(detail, list):
        if detail and all(not isinstance(d, (dict, list)) for d in detail):
            for message in detail:
                out.append(entry(prefix, data, message))
            return out
        for index, sub in enumerate(detail):
            value = (
                data[index] if isinstance(data, list) and index < len(data) else None
            )
            out.extend(field_errors(sub, value, f"{prefix}[{index}]"))
        return out
    out.append(entry(prefix, data, detail))
    return out


def entry(field: str, value, message) -> dict:
    if isinstance(value, (dict, list)):
        value = None
    return {"field": field, "value": value, "message": str(message)}


def validation_problem(detail, data, request=None, **extra) -> Response:
    errors = field_errors(detail, data)
    first = errors[0] if errors else None
    if first and first["field"]:
        summary = _("%(field)s: %(message)s (value sent: %(value)s)") % {
            "field": first["field"],
            "message": first["message"],
            "value": _shown(first["value"]),
        }
    else:
        summary = first["message"] if first else _("The request is not valid.")
    return problem(
        status_code=status.HTTP_400_BAD_REQUEST,
        title=_("Invalid input"),
        detail=summary,
        kind="invalid",
        request=request,
        errors=errors,
        **extra,
    )


def _shown(value) -> str:
    return "none" if value is None else repr(value)


def _data(context) -> dict:
    request = context.get("request")
    try:
        data = request.data if request is not None else {}
    except Exception:  # an unreadable body already produced a ParseError
        return {}
    return data if isinstance(data, dict) else {}


def exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, DjangoValidationError):
        return validation_problem(django_errors(exc), _data(context), request)
    if isinstance(exc, ProtectedError | RestrictedError):
        return problem(
            status_code=status.HTTP_409_CONFLICT,
            title=_("The record is in use"),
            detail=str(exc.args[0]),
            kind="protected",
            request=request,
        )
    if isinstance(exc, IntegrityError):
        return problem(
            status_code=status.HTTP_409_CONFLICT,
            title=_("The change conflicts with other records"),
            detail=_("The database refused the change: %(error)s")
            % {"error": str(exc).splitlines()[0]},
            kind="conflict",
            request=request,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        return validation_problem(exc.detail, _data(context), request)
    detail = exc.detail if isinstance(exc, exceptions.APIException) else ""
    title = {
        401: _("Not authenticated"),
        403: _("Forbidden"),
        404: _("Not found"),
        405: _("Method not allowed"),
        406: _("Not acceptable"),
        415: _("Unsupported media type"),
        429: _("Too many requests"),
    }.get(response.status_code, _("Error"))
    result = problem(
        status_code=response.status_code,
        title=title,
        detail=str(detail) if detail else title,
        kind=getattr(exc, "default_code", "") or "",
        request=request,
    )
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            result[header] = response[header]
    return result
