"""One search box across the CRM: a results page and as-you-type suggestions.

Each app registers its groups (partners, contacts, engagements, pledges,
events) with ``site.register_search_group(finder, order=...)`` from its
``admin.py``, so this module knows no model (dependencies point from the apps
to ``crm``). A finder takes the request, the term and a number of results and
returns a ``Group``, or ``None`` when the user may not view that kind of
record; it applies the user's visibility rules itself (confidential
engagements).

The page is ``/admin/search/?q=...``; the suggestions ``/admin/search/suggest/
?q=...`` (JSON, read by ``crm/static/crm/search.js``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

# Results per group on the page, and in the suggestions under the box.
PAGE_LIMIT = 10
SUGGEST_LIMIT = 3
# Longer terms are cut: nobody types more, and each word costs a query part.
MAX_TERM = 100


@dataclass(frozen=True)
class Hit:
    label: str
    url: str
    detail: str = ""


@dataclass
class Group:
    """One kind of record found, best first; ``more_url`` lists them all."""

    key: str
    title: str
    hits: list[Hit] = field(default_factory=list)
    more_url: str = ""
    has_more: bool = False


Finder = Callable[[HttpRequest, str, int], Group | None]


def clean_term(raw: str | None) -> str:
    return " ".join((raw or "").split())[:MAX_TERM]


def changelist_url(model, term: str) -> str:
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    return f"{url}?{urlencode({'q': term})}"


def group_of(
    key: str, title: str, rows: list, limit: int, hit: Callable, more_url: str
) -> Group:
    """A group from up to ``limit + 1`` rows: the extra one says there are more."""
    return Group(
        key=key,
        title=title,
        hits=[hit(row) for row in rows[:limit]],
        more_url=more_url,
        has_more=len(rows) > limit,
    )


def find(site, request: HttpRequest, term: str, limit: int) -> list[Group]:
    """The groups with results, in registration order."""
    groups = []
    for finder in site.get_search_finders():
        group = finder(request, term, limit)
        if group is not None and group.hits:
            groups.append(group)
    return groups


def search_view(site, request: HttpRequest):
    term = clean_term(request.GET.get("q"))
    groups = find(site, request, term, PAGE_LIMIT) if term else []
    context = {
        **site.each_context(request),
        "title": _("Search") if not term else _("Search: %(term)s") % {"term": term},
        "term": term,
        "groups": groups,
    }
    return TemplateResponse(request, "admin/crm_search.html", context)


def suggest_view(site, request: HttpRequest) -> JsonResponse:
    term = clean_term(request.GET.get("q"))
    groups = find(site, request, term, SUGGEST_LIMIT) if len(term) >= 2 else []
    page = reverse(f"{site.name}:search")
    return JsonResponse(
        {
            "term": term,
            "groups": [
                {"key": g.key, "title": g.title, "hits": [asdict(h) for h in g.hits]}
                for g in groups
            ],
            "all_url": f"{page}?{urlencode({'q': term})}" if term else page,
            "all_label": _("All results for “%(term)s”") % {"term": term},
        }
    )


def words_condition(term: str, fields: list[str]):
    """Every word of ``term`` in one of ``fields``: a ``Q``.

    Words of up to three letters match whole words ("UK" is not inside
    "Ukraine"), as in the partner search; longer ones anywhere in the text.
    """
    condition = Q()
    for word in term.split():
        if len(word) <= SHORT_WORD:
            lookups = [whole_word(name, word) for name in fields]
        else:
            lookups = [Q(**{f"{name}__icontains": word}) for name in fields]
        either = Q()
        for lookup in lookups:
            either |= lookup
        condition &= either
    return condition


SHORT_WORD = 3
# Trigram indexes serve words this long; a term with none would read every
# row of a big table (a million engagements), so such groups sit it out.
INDEXED_WORD = 3


def indexable(term: str) -> bool:
    """Whether a word of ``term`` is long enough for the trigram indexes."""
    return any(len(word) >= INDEXED_WORD for word in term.split())


def _whole_word(word: str) -> str:
    """A regular expression for ``word`` standing alone, for SQLite and PostgreSQL.

    ``\\W`` means the same in Python's ``re`` (SQLite's REGEXP) and in
    PostgreSQL's ARE; ``\\b`` does not (a backspace there).
    """
    return rf"(^|\W){re.escape(word)}(\W|$)"


def whole_word(field: str, word: str) -> Q:
    """``field`` holds ``word`` as a whole word: "UK" not inside "Ukraine".

    The LIKE goes first: cheaper than the regular expression (a Python call
    per row on SQLite), it leaves only the rows holding the letters at all.
    """
    return Q(**{f"{field}__icontains": word}) & Q(
        **{f"{field}__iregex": _whole_word(word)}
    )
