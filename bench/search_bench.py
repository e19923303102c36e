"""Search benchmarks: the partner search and the CRM-wide search box.

Runs on the load test's PostgreSQL database (``crm_load``: 100,000 partners
and contacts; built as ``bench.load_test`` builds it if missing,
``LOAD_REBUILD=1`` rebuilds) after migrating it, which adds the trigram
indexes. For each term it times what the partner list runs for a search:
``get_search_results``, the count and the first page of 100 partners. In the
same run, on the same data, it times two baselines:

- testing every partner: the same words as one WHERE read row by row (the
  search's way for words too short or too common to start from, and close
  to the search this one replaced);
- a primary-key lookup, the floor for a query that reads one row.

It prints the best of ``SEARCH_REPEAT`` runs (default 5) of each, the ratios,
and the queries a search takes.

Then the search box (``crm.search``) at the load test's size (100,000
partners and contacts, 1,000,000 engagements, 50,000 pledges): for each term,
its results page and its suggestions, beside the partner list searching the
same term, each page requested ``BOX_REPEAT`` times (default 20) through
Django's test client as the load test's superuser: p50 and p95 in ms. It
asserts nothing. ``LOAD_DB`` names another database (``crm_search``).

    .venv/bin/python -m bench search_bench
"""

from __future__ import annotations

import os
import statistics
import time

from bench.load_test import DB, URL, build, manage

REPEAT = int(os.environ.get("SEARCH_REPEAT", "5"))
PAGE = 100
TERMS = [
    ("korea", "a country, about 1,000 partners"),
    ("c4242@load", "part of a contact's e-mail"),
    ("lp4242", "an acronym, 11 partners"),
    ("Load Partner 12345", "the load test's search: two of three words in every name"),
    ("ministry", "a word no partner has"),
    ("un", "two letters: no index can serve them"),
]


def setup_django() -> None:
    env = {**os.environ, "DATABASE_URL": URL, "DEBUG": "True"}
    build(env)
    manage("migrate", "--no-input", env=env)
    os.environ.update(DATABASE_URL=URL, DEBUG="True")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def list_page(partners) -> int:
    """Run the partner list's two queries for a search; the partners found."""
    results = partners.select_related("country", "owner")
    found = results.count()
    list(results.order_by("name", "-pk")[:PAGE])
    return found


def search(term: str) -> int:
    from partners.models import Partner

    return list_page(Partner.objects.search(term))


def every_partner(term: str) -> int:
    from django.db.models import Q

    from partners.models import Partner
    from partners.search import _search_words, _word_condition

    condition = Q()
    for word in _search_words(term):
        condition &= _word_condition(word)
    return list_page(Partner.objects.filter(condition))


def best_ms(function, *args) -> float:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def main() -> None:
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from partners.models import Partner

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE indexname LIKE %s",
            ["partners_%_trgm"],
        )
        indexes = cursor.fetchone()[0]
    pk = Partner.objects.order_by("pk").values_list("pk", flat=True)[PAGE]
    floor = best_ms(lambda: Partner.objects.get(pk=pk))
    print(
        f"database {DB}: {Partner.objects.count():,} partners, "
        f"{indexes} trigram indexes; best of {REPEAT} runs"
    )
    print(f"primary-key lookup {floor:.2f} ms")
    print(
        f"{'term':<20}{'found':>7}{'queries':>8}{'search ms':>10}"
        f"{'every-partner ms':>17}{'ratio':>7}{'x pk':>7}  what"
    )
    ratios = []
    for term, what in TERMS:
        search(term)  # warm up
        with CaptureQueriesContext(connection) as captured:
            found = search(term)
        fast, slow = best_ms(search, term), best_ms(every_partner, term)
        if every_partner(term) != found:
            what += " (DIFFERENT RESULTS)"
        ratios.append(slow / fast)
        print(
            f"{term:<20}{found:>7,}{len(captured):>8}{fast:>10.1f}"
            f"{slow:>17.1f}{slow / fast:>7.1f}{fast / floor:>7.0f}  {what}"
        )
    print(
        f"median ratio every-partner / search: {statistics.median(ratios):.1f} "
        "(ratio: how many times faster the search is)"
    )


REQUESTS = int(os.environ.get("BOX_REPEAT", "20"))
BOX_TERMS = [
    ("south korea", "a country spelling: its government first"),
    ("korea", "a country word"),
    ("Germny", "a typo: nothing matches, names one letter off"),
    ("lp4242", "an acronym"),
    ("c4242@load", "part of a contact's e-mail"),
    ("Load Partner 12345", "three words, two in every name"),
    ("UK", "two letters: whole words"),
    ("Load engagement 777", "an engagement's subject"),
    ("partnership", "a word in every engagement's summary"),
    ("ministry", "a word nothing has"),
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def box_main() -> None:
    from django.contrib.auth.models import User
    from django.test import Client
    from django.urls import reverse

    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username="load"))
    pages = {
        "partner list": reverse("admin:partners_partner_changelist"),
        "search page": reverse("admin:search"),
        "suggestions": reverse("admin:search_suggest"),
    }
    print()
    print(
        f"search box: {REQUESTS} requests a page and term, ms (p50 / p95); "
        "the partner list searching the same term"
    )
    print(f"{'term':<22}" + "".join(f"{name:>20}" for name in pages) + "  what")
    totals: dict[str, list[float]] = {name: [] for name in pages}
    for term, what in BOX_TERMS:
        cells = []
        for name, url in pages.items():
            response = client.get(url, {"q": term})  # warm up
            if response.status_code != 200:
                raise SystemExit(f"{url}?q={term}: HTTP {response.status_code}")
            times = []
            for _ in range(REQUESTS):
                started = time.perf_counter()
                client.get(url, {"q": term})
                times.append((time.perf_counter() - started) * 1000)
            totals[name].extend(times)
            cells.append(
                f"{percentile(times, 0.5):>9.0f} / {percentile(times, 0.95):<8.0f}"
            )
        print(f"{term:<22}" + "".join(f"{c:>20}" for c in cells) + f"  {what}")
    print(
        f"{'all terms':<22}"
        + "".join(
            f"{percentile(t, 0.5):>9.0f} / {percentile(t, 0.95):<8.0f}"
            for t in totals.values()
        )
    )


if __name__ == "__main__":
    main()
    box_main()
