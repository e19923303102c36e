"""The partner search (``Partner.objects.search``), without the admin."""

from __future__ import annotations

import pytest
from django.db import connection

from partners.models import Partner
from partners.search import _first_word, _word_matches

pytestmark = pytest.mark.django_db


SEARCHES = [
    # Each word may match a different field: name, country, acronym, e-mail.
    ("telecom korea", {"kt", "operator"}),
    ("telecom operator.example", {"operator"}),
    ("telecom JPN", set()),
    ("bank japan", {"bank"}),
    ("wbg bank group", {"bank"}),
    ('"world bank"', {"bank"}),
    ('"bank world"', set()),
    # Three letters or fewer: whole words ("KOR" of "fund-kor"), not "Korea".
    ("kor", {"operator", "fund"}),
    ("TO", {"operator"}),
    ("to korea", {"operator"}),
    # A spelling of the country, whole, or every word matching.
    ("South Korea", {"operator"}),
    ("korea telecom", {"kt", "operator"}),
    ("nothing like it", set()),
]


@pytest.mark.parametrize(("term", "expected"), SEARCHES)
@pytest.mark.parametrize("probe_limit", [5000, 0])
def test_partner_search_finds_the_same_partners_whichever_word_it_starts_from(
    search_partners, monkeypatch, probe_limit, term, expected
):
    # A limit of 0: no word's partners are collected first, every partner is
    # tested against every word.
    monkeypatch.setattr("partners.search.PROBE_LIMIT", probe_limit)

    found = set(Partner.objects.search(term))

    assert found == {search_partners[key] for key in expected}


def test_partner_search_starts_from_the_word_matching_fewest(
    search_partners, monkeypatch
):
    # "korea" is tried first, being longer, but matches two partners.
    monkeypatch.setattr("partners.search.FEW_MATCHES", 0)
    first, ids = _first_word(["korea", "wbg"])

    assert (first, ids) == (1, [search_partners["bank"].pk])


def test_partner_search_tests_every_partner_for_short_or_common_words(
    search_partners, monkeypatch
):
    assert _first_word(["kt", "to"]) == (None, [])
    monkeypatch.setattr("partners.search.PROBE_LIMIT", 1)
    assert _first_word(["korea", "telecom"]) == (None, [])


@pytest.mark.postgresql  # trigram indexes are PostgreSQL's
def test_trigram_indexes_serve_the_search_lookups(search_partners):
    sql, params = _word_matches("telecom").query.sql_with_params()
    with connection.cursor() as cursor:
        # The tables are tiny: make the planner show that it could use them
        # (a B-tree read whole would stand in for a table scan).
        for scan in ["seqscan", "indexscan", "indexonlyscan"]:
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    for index in [
        "partners_partner_name_trgm",
        "partners_partner_name_fr_trgm",
        "partners_partner_short_name_trgm",
        "partners_partner_code_trgm",
        "partners_contact_email_trgm",
    ]:
        assert index in plan


def test_a_blank_term_finds_every_partner(search_partners):
    assert Partner.objects.search("  ").count() == len(search_partners)


def test_the_search_narrows_any_partner_queryset(search_partners):
    japanese = Partner.objects.filter(country__name_en="Japan")

    assert set(japanese.search("telecom")) == {search_partners["kt"]}
    assert set(Partner.objects.search("telecom").filter(country=None)) == set()


def test_a_country_spelling_typed_whole_finds_its_partners(search_partners):
    # "South Korea" is an alias: the words alone match no partner together.
    assert set(Partner.objects.search("south korea")) == {search_partners["operator"]}
