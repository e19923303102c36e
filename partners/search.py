"""The partner search: which partners a term finds, and in what order.

``Partner.objects.search(term)`` (``PartnerQuerySet.search``) is the entry;
the admin's partner list, the CRM-wide search box and the API go through it,
so all three find and rank alike.

Which partners: every word of the term matches a name, French name, acronym,
code, country (name, ISO code or any spelling) or a contact's e-mail; words of
up to three letters ("UK", "USA") match whole words only, never the inside of
a word ("Zusammenarbeit"). Besides, the whole term may be a spelling of a
country ("South Korea", "Swiss", "Allemagne"), of a Permanent Mission or
government ("Permanent Mission of Japan", "Mission permanente de la France")
or one of a partner's aliases. When nothing matches, names one or two letters
off are tried ("Germny").

In what order (``rank``): the Member State governments of the countries the
words name come first; then, by tier,

0. exact code, acronym or ISO code;
1. exact name, French name or alias, or the government of a country spelled
   exactly;
2. every word starts a word of the name, French name or acronym;
3. any other match (inside a word, the country, an e-mail);
4. a name one or two letters off, closest first;

then by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.text import smart_split, unescape_string_literal

from crm.lib.names import government_country, normalize_name
from crm.models import Country, CountryAlias
from crm.search import whole_word
from partners.models import Affiliation, Partner, PartnerAlias

# The search starts from the partners that one word matches, found through
# the indexes, if they come to at most PROBE_LIMIT ids; of several words,
# from the one matching fewest, stopping at one matching FEW_MATCHES or fewer.
PROBE_LIMIT = 5000
FEW_MATCHES = 100
# Trigram indexes serve words of three characters or more.
TRIGRAM = 3
# Words this short match whole words: "UK" is not inside "Ukraine".
SHORT = 3
# Names one or two letters off are looked for in terms this long, when
# nothing else matches; at most FUZZY_LIMIT partners.
FUZZY_MIN = 4
FUZZY_LIMIT = 20
# rapidfuzz's 0-100 score a spelling must reach: "Germny" scores 92 against
# "Germany", "Grmany" 86, "Gabon" 55.
FUZZY_SCORE = 80
# Without PostgreSQL's trigram indexes, at most this many names are compared
# in Python; a larger SQLite database gets no typo matching.
FUZZY_SCAN_LIMIT = 20_000

# What people type before a country to mean its government or its Permanent
# Mission, normalised (``normalize_name``), longest first.
_HOLDERS = re.compile(
    r"^(?:permanent mission|mission permanente|mission|delegation|embassy|"
    r"ambassade|government|gouvernement|ministry of foreign affairs|"
    r"ministere des affaires etrangeres)"
    r"(?:\s+(?:of the|of|to the|to|de la|de l|des|du|de|d))?(?:\s+the)?(?:\s+|$)"
)

STATE = Q(category="government", country__is_itu_member_state=True)


def _search_words(search_term: str) -> list[str]:
    words = []
    for word in smart_split(search_term):
        if word[0] in "\"'" and word[-1] == word[0]:
            word = unescape_string_literal(word)
        if word.strip():
            words.append(word)
    return words


def _word_start(word: str) -> str:
    return rf"(^|\W){re.escape(word)}"


def _countries(word: str) -> list[int]:
    """The countries ``word`` names: a name containing it, its ISO code, an alias.

    A few hundred rows, read whole: no index needed.
    """
    if len(word) <= SHORT:
        names = (
            whole_word("name_en", word)
            | whole_word("name_fr", word)
            | whole_word("itu_name", word)
            | Q(iso2__iexact=word)
        )
    else:
        names = (
            Q(name_en__icontains=word)
            | Q(name_fr__icontains=word)
            | Q(itu_name__icontains=word)
        )
    key = normalize_name(word)
    spelled = CountryAlias.objects.filter(normalized=key).values("country")
    found = Country.objects.filter(names | Q(iso3__iexact=word) | Q(pk__in=spelled))
    return list(found.order_by().values_list("pk", flat=True))


def _term_countries(term: str) -> list[int]:
    """The countries the whole term spells, holder words aside ("Mission of Japan")."""
    key = normalize_name(term)
    stripped = _HOLDERS.sub("", key, count=1) if key else ""
    # "Korea, Republic of, Government of", "Gouvernement de la Suisse": the
    # forms imports read, one rule for both (crm.lib.names).
    government = normalize_name(government_country(term))
    keys = {k for k in (key, stripped, government) if k}
    if not keys:
        return []
    spelled = CountryAlias.objects.filter(normalized__in=keys).values("country")
    found = Country.objects.filter(
        Q(pk__in=spelled)
        | Q(name_en__iexact=term)
        | Q(name_fr__iexact=term)
        | Q(iso3__iexact=term)
    )
    return list(found.order_by().values_list("pk", flat=True))


def _holder_only(term: str) -> bool:
    """ "Permanent Mission", "Mission permanente": the Member States' governments."""
    key = normalize_name(term)
    return bool(key) and not _HOLDERS.sub("", key, count=1) and " " in key


def _word_matches(word: str):
    """The ids of the partners ``word`` matches, as one query.

    A UNION of one query per table, each read through an index on
    PostgreSQL: the trigram indexes of migration ``partners.0004``, or the
    country and contact foreign keys. A partner may come more than once. For
    a short word it is a superset (inside words too): the word's condition
    is tested on them afterwards.
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


def _word_condition(word: str, countries: list[int] | None = None) -> Q:
    """The match of one word, tested on each partner."""
    if countries is None:
        countries = _countries(word)
    if len(word) <= SHORT:
        emails = Affiliation.objects.filter(whole_word("contact__email", word))
        own = (
            whole_word("name", word)
            | whole_word("name_fr", word)
            | whole_word("short_name", word)
            | whole_word("code", word)
        )
    else:
        # IN rather than EXISTS for e-mails: PostgreSQL prices a correlated
        # EXISTS under an OR as if it ran once a row, and a price that high
        # switches on JIT compilation (a quarter of a second).
        emails = Affiliation.objects.filter(contact__email__icontains=word)
        own = (
            Q(name__icontains=word)
            | Q(name_fr__icontains=word)
            | Q(short_name__icontains=word)
            | Q(code__icontains=word)
        )
    return own | Q(country__in=countries) | Q(pk__in=emails.values("partner"))


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


@dataclass
class Plan:
    """What a term finds (``condition``) and what ranks it (the rest)."""

    term: str
    condition: Q
    word_countries: list[int] = field(default_factory=list)
    term_countries: list[int] = field(default_factory=list)
    aliased: list[int] = field(default_factory=list)
    fuzzy: list[int] = field(default_factory=list)  # closest first


def plan(search_term: str) -> Plan | None:
    """The search for ``search_term``; ``None`` if it is blank.

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
    countries = {i: _countries(word) for i, word in enumerate(words)}
    first, ids = _first_word(words)
    condition = Q(pk__in=ids) if first is not None else Q()
    for i, word in enumerate(words):
        if i != first or len(word) <= SHORT:
            condition &= _word_condition(word, countries[i])
    found = Plan(
        term=search_term,
        condition=condition,
        word_countries=sorted({pk for ids in countries.values() for pk in ids}),
    )
    # Any spelling of a country finds its partners: "South Korea",
    # "Korea (Rep. of)" and "Korea, Republic of" are one country; "Permanent
    # Mission of Japan" finds Japan's government. Ids rather than a
    # subquery, which under an OR would defeat the indexes.
    found.term_countries = _term_countries(search_term)
    if found.term_countries:
        key = normalize_name(search_term)
        if _HOLDERS.match(key) or government_country(search_term):
            found.condition |= STATE & Q(country__in=found.term_countries)
        else:
            found.condition |= Q(country__in=found.term_countries)
    elif _holder_only(search_term):
        found.condition |= STATE
    found.aliased = sorted(PartnerAlias.objects.partner_ids_named(search_term))
    if found.aliased:
        found.condition |= Q(pk__in=found.aliased)
    letters = sum(char.isalpha() for char in search_term)
    # Something matches for sure: a country or alias spelled whole, or the
    # one long word's partners collected. Otherwise one query tells.
    surely = (
        found.term_countries
        or found.aliased
        or (len(words) == 1 and ids and len(words[0]) > SHORT)
    )
    if (
        letters >= FUZZY_MIN
        and not surely
        and not Partner.objects.filter(found.condition).exists()
    ):
        _add_fuzzy(found)
    return found


def _add_fuzzy(found: Plan) -> None:
    """Names one or two letters off the term: partners', and countries'."""
    from rapidfuzz import fuzz, process, utils

    term = found.term
    spellings = [
        (name, pk)
        for name, pk in Country.objects.order_by()
        .values_list("name_en", "pk")
        .union(
            Country.objects.order_by().values_list("name_fr", "pk"),
            CountryAlias.objects.order_by().values_list("name", "country"),
        )
    ]
    matches = process.extract(
        term,
        [name for name, _pk in spellings],
        scorer=fuzz.ratio,
        processor=utils.default_process,
        score_cutoff=FUZZY_SCORE,
        limit=5,
    )
    countries = list(dict.fromkeys(spellings[index][1] for _n, _s, index in matches))
    ids = _close_names(term)
    if countries:
        states = Partner.objects.filter(STATE, country__in=countries)
        ids = [*states.values_list("pk", flat=True), *ids]
        found.word_countries = sorted({*found.word_countries, *countries})
    found.fuzzy = list(dict.fromkeys(ids))[:FUZZY_LIMIT]
    if found.fuzzy:
        found.condition = Q(pk__in=found.fuzzy)


def closeness(term: str, name: str) -> float:
    """How close ``term`` is to some run of as many words in ``name`` (0-100).

    "Germny" scores 92 against "Federal Republic of Germany" (its word
    "Germany"); "Telecom JPN" 67 against "Telecom Operator".
    """
    from rapidfuzz import fuzz

    wanted = normalize_name(term).split()
    words = normalize_name(name).split()
    if not wanted or not words:
        return 0.0
    size = len(wanted)
    runs = [words[i : i + size] for i in range(max(1, len(words) - size + 1))]
    target = " ".join(wanted)
    return max(fuzz.ratio(target, " ".join(run)) for run in runs)


def _close_names(term: str) -> list[int]:
    """Partners whose name or French name holds the term one or two letters off.

    PostgreSQL proposes candidates through the trigram indexes (``%>``: word
    similarity above pg_trgm's threshold, migration partners.0004); SQLite
    offers its first FUZZY_SCAN_LIMIT partners. Both keep those ``closeness``
    scores FUZZY_SCORE or more, so both find the same partners.
    """
    if connection.vendor == "postgresql":
        sql = (
            "SELECT id, name, name_fr FROM partners_partner"
            " WHERE UPPER(name::text) %%> UPPER(%s)"
            " OR UPPER(name_fr::text) %%> UPPER(%s)"
            " ORDER BY GREATEST(word_similarity(UPPER(%s), UPPER(name::text)),"
            " word_similarity(UPPER(%s), UPPER(name_fr::text))) DESC, id"
            " LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [term, term, term, term, FUZZY_SCAN_LIMIT // 100])
            rows = cursor.fetchall()
    else:
        rows = list(
            Partner.objects.order_by("pk").values_list("pk", "name", "name_fr")[
                : FUZZY_SCAN_LIMIT + 1
            ]
        )
        if len(rows) > FUZZY_SCAN_LIMIT:
            return []
    scored = []
    for pk, name, name_fr in rows:
        score = max(closeness(term, name), closeness(term, name_fr or ""))
        if score >= FUZZY_SCORE:
            scored.append((-score, pk))
    return [pk for _score, pk in sorted(scored)[:FUZZY_LIMIT]]


def partner_search(search_term: str) -> Q | None:
    """The condition the search puts on partners; ``None`` if the term is blank."""
    found = plan(search_term)
    return None if found is None else found.condition


def _cases(ids: list[int], default: int) -> Case | Value:
    if not ids:
        return Value(default)
    return Case(
        *[When(pk=pk, then=Value(i)) for i, pk in enumerate(ids)],
        default=Value(default),
        output_field=IntegerField(),
    )


def rank(queryset: QuerySet, found: Plan) -> QuerySet:
    """``queryset`` (the partners ``found`` finds) best first.

    The order is in ``ORDERING``; each key an annotation, so a list may put
    them ahead of its own sort.
    """
    term = found.term.strip()
    words = _search_words(term)
    exact = (
        Q(code__iexact=term)
        | Q(short_name__iexact=term)
        | (STATE & Q(country__iso3__iexact=term))
    )
    named = Q(name__iexact=term) | Q(name_fr__iexact=term)
    if found.aliased:
        named |= Q(pk__in=found.aliased)
    if found.term_countries:
        named |= STATE & Q(country__in=found.term_countries)
    prefix = Q()
    for word in words:
        pattern = _word_start(word)
        prefix &= (
            Q(name__iregex=pattern)
            | Q(name_fr__iregex=pattern)
            | Q(short_name__iregex=pattern)
        )
    tiers = [When(exact, then=Value(0)), When(named, then=Value(1))]
    if words:
        tiers.append(When(prefix, then=Value(2)))
    if found.fuzzy:
        tiers.append(When(pk__in=found.fuzzy, then=Value(4)))
    state = Value(1)
    if found.word_countries or found.term_countries:
        countries = sorted({*found.word_countries, *found.term_countries})
        state = Case(
            When(STATE & Q(country__in=countries), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    return queryset.annotate(
        search_state=state,
        search_rank=Case(*tiers, default=Value(3), output_field=IntegerField()),
        search_closeness=_cases(found.fuzzy, 0),
    ).order_by(*ORDERING)


ORDERING = ["search_state", "search_rank", "search_closeness", "name", "pk"]


def search(queryset: QuerySet, search_term: str) -> QuerySet:
    """The partners of ``queryset`` the term finds, best first; all if blank."""
    found = plan(search_term)
    if found is None:
        return queryset
    return rank(queryset.filter(found.condition), found)
