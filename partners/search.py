"""The partner search: every word of a term matches a name, code, country or e-mail.

``Partner.objects.search(term)`` (``PartnerQuerySet.search``) is the entry;
the admin's search box, the API and any other caller go through it.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.text import smart_split, unescape_string_literal

from crm.lib.names import normalize_name
from crm.models import Country, CountryAlias
from partners.models import Affiliation, Partner, PartnerAlias

# The search starts from the partners that one word matches, found through
# the indexes, if they come to at most PROBE_LIMIT ids; of several words,
# from the one matching fewest, stopping at one matching FEW_MATCHES or fewer.
PROBE_LIMIT = 5000
FEW_MATCHES = 100
# Trigram indexes serve words of three characters or more.
TRIGRAM = 3


def _search_words(search_term: str) -> list[str]:
    words = []
    for word in smart_split(search_term):
        if word[0] in "\"'" and word[-1] == word[0]:
            word = unescape_string_literal(word)
        words.append(word)
    return words


def _countries(word: str):
    # A few hundred rows, read whole: no index needed.
    return (
        Country.objects.filter(
            Q(name_en__icontains=word)
            | Q(name_fr__icontains=word)
            | Q(itu_name__icontains=word)
            | Q(iso3__iexact=word)
        )
        .order_by()
        .values("pk")
    )


def _word_matches(word: str):
    """The ids of the partners ``word`` matches, as one query.

    A UNION of one query per table, each read through an index on
    PostgreSQL: the trigram indexes of migration ``partners.0004``, or the
    country and contact foreign keys. A partner may come more than once.
    """
    own = Partner.objects.filter(
        Q(name__icontains=word)
        | Q(name_fr__icontains=word)
        | Q(short_name__icontains=word)
        | Q(code__icontains=word)
    )
    by_country = Partner.objects.filter(country__in=_countries(word))
    by_email = Affiliation.objects.filter(contact__email__icontains=word)
    return (
        own.order_by()
        .values_list("pk", flat=True)
        .union(
            by_country.order_by().values_list("pk", flat=True),
            by_email.order_by().values_list("partner", flat=True),
            all=True,
        )
        .order_by()
    )


def _word_condition(word: str) -> Q:
    """The match of ``_word_matches``, tested on each partner."""
    # IN rather than EXISTS for e-mails: PostgreSQL prices a correlated
    # EXISTS under an OR as if it ran once a row, and a price that high
    # switches on JIT compilation (a quarter of a second).
    emails = Affiliation.objects.filter(contact__email__icontains=word)
    return (
        Q(name__icontains=word)
        | Q(name_fr__icontains=word)
        | Q(short_name__icontains=word)
        | Q(code__icontains=word)
        | Q(country__in=_countries(word))
        | Q(pk__in=emails.values("partner"))
    )


def _first_word(words: list[str]) -> tuple[int | None, list[int]]:
    """The word to start from and the ids of the partners it matches.

    Long words are tried first, as they tend to match fewer partners. No
    word (``None``) if each is too short for the trigram indexes or gives
    more than PROBE_LIMIT ids: testing every partner once is then cheaper
    than collecting their ids.
    """
    first, fewest = None, []
    for i in sorted(range(len(words)), key=lambda i: -len(words[i])):
        if len(words[i]) < TRIGRAM:
            break
        ids = list(_word_matches(words[i])[: PROBE_LIMIT + 1])
        if len(ids) > PROBE_LIMIT:
            continue
        ids = sorted(set(ids))
        if first is None or len(ids) < len(fewest):
            first, fewest = i, ids
        if len(fewest) <= FEW_MATCHES:
            break
    return first, fewest


def partner_search(search_term: str) -> Q | None:
    """The condition the admin's search puts on partners; ``None`` if blank.

    Every word must match a name, French name, acronym, code, country name or
    ISO code, or the e-mail of one of the partner's contacts; or the whole
    term is a spelling of the partner's country ("Korea (Rep. of)") or one of
    the partner's aliases.

    The partners that one word matches are found first, through indexes
    (one small query, or one per word tried), and the other words are
    tested on those partners only. One WHERE with ORs across the partner,
    its country and its contacts can use no index: every partner would be
    read, twice (the list's count and its page). No join either, so no
    partner comes twice and the list needs no DISTINCT.
    """
    words = _search_words(search_term)
    if not words:
        return None
    first, ids = _first_word(words)
    condition = Q(pk__in=ids) if first is not None else Q()
    for i, word in enumerate(words):
        if i != first:
            condition &= _word_condition(word)
    key = normalize_name(search_term)
    if key:
        # Any spelling of a country finds its partners: "South Korea",
        # "Korea (Rep. of)" and "Korea, Republic of" are one country. Ids
        # rather than a subquery, which under an OR would defeat the indexes.
        countries = CountryAlias.objects.filter(normalized=key)
        countries = list(countries.values_list("country", flat=True))
        if countries:
            condition |= Q(country__in=countries)
        aliased = PartnerAlias.objects.partner_ids_named(search_term)
        if aliased:
            condition |= Q(pk__in=sorted(aliased))
    return condition
