from __future__ import annotations

from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    """Stable pages under concurrent writes: ``next`` and ``previous`` links.

    Ordered by id unless the endpoint or ``?ordering=`` says otherwise.
    """

    ordering = "pk"
    page_size_query_param = "page_size"
    max_page_size = 1000
