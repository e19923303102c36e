"""Odd values in an address answer 400 (bad request), never a server error.

Lists, filters and reports read their parameters from the query string, and
some turn a value of digits into a number and hand it to the database (a
filter's selected partner, a date hierarchy's year, a page number). Values
nobody can pick from a page would reach the database and fail there:

- a NUL byte, which PostgreSQL refuses in any text;
- a number beyond the database's 64-bit integers (SQLite raises
  OverflowError, PostgreSQL a data error), or digits that are not 0-9
  ("²", "١٢"), which Python calls digits but ``int()`` refuses.

Such a request is answered 400 before any view runs. The search box (``q``)
is text and may hold any digits; only NUL is refused there. Anything else odd
(an impossible date, an unknown choice) is left to the forms and filters,
which ignore it. An ``OverflowError`` still raised while answering a request
with a query string (Python's dates stop at year 9999) is a 400 as well.
"""

from __future__ import annotations

from django.contrib.admin.views.main import SEARCH_VAR
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

# The largest value of a 64-bit signed integer column, on every database.
_LARGEST = 2**63 - 1


def odd_query_value(name: str, value: str) -> bool:
    """Whether no page of the application would put ``value`` in the address."""
    if "\x00" in name or "\x00" in value:
        return True
    if name == SEARCH_VAR:
        return False
    digits = value.strip().lstrip("+-")
    if not digits.isdigit():
        return False
    return not digits.isascii() or int(digits) > _LARGEST


class QueryValuesMiddleware:
    """Refuse (400) a request whose address holds a value no page would send."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            odd_query_value(name, value)
            for name, values in request.GET.lists()
            for value in values
        ):
            return self._refuse()
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, OverflowError) and request.GET:
            return self._refuse()
        return None

    @staticmethod
    def _refuse() -> HttpResponse:
        return HttpResponseBadRequest(
            _("A value in the address is out of range or holds a forbidden character."),
            content_type="text/plain; charset=utf-8",
        )
