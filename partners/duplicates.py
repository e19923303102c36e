"""Possible duplicate partners and contacts, scored, best first.

Candidates come from blocking, never from comparing every record with every
other: records sharing a normalised name or alias, an acronym in one
country, an e-mail or a phone number are paired directly; close spellings
are looked for only inside a block (the same country for partners, the same
initials for contacts), where rapidfuzz compares a whole block at once
(``process.cdist``). Each pair then gets a score and the reasons behind it.
Pairs someone dismissed as "not a duplicate" are never proposed again.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from crm.lib.names import normalize_name
from partners.models import (
    Affiliation,
    Contact,
    DuplicateDismissal,
    Partner,
    PartnerAlias,
)

# Two spellings this alike (rapidfuzz ratio of their sorted words) are close.
CLOSE = 88
# A pair scoring less is not proposed.
MIN_SCORE = 50
# Records sharing a key with more than this many others (a common acronym, a
# shared switchboard number) are not paired on that key alone.
GROUP_LIMIT = 30
# A block larger than this is split by the first letter before comparing.
BLOCK_LIMIT = 1500
# How long a computed list of pairs is reused while the data is unchanged.
CACHE_SECONDS = 300
# An add form compares the new record with at most this many candidates.
LOOKALIKE_CANDIDATES = 2000

_NOT_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class Pair:
    """Two records that may be one, ``low`` < ``high``, with the why."""

    low: int
    high: int
    score: int
    reasons: tuple[str, ...]


@dataclass
class _Record:
    pk: int
    key: str  # the normalised main name
    keys: set[str] = field(default_factory=set)  # every normalised name
    codes: set[str] = field(default_factory=set)  # acronym, code
    country: int | None = None
    category: str = ""
    emails: set[str] = field(default_factory=set)
    phone: str = ""
    partners: set[int] = field(default_factory=set)


def _sorted_words(key: str) -> str:
    # The ratio of sorted words is rapidfuzz's token_sort_ratio, computed once.
    return " ".join(sorted(key.split()))


def phone_key(phone: str | None) -> str:
    """The last nine digits: "+41 22 730 5111" and "022 730 51 11" agree."""
    digits = _NOT_DIGITS.sub("", phone or "")
    return digits[-9:] if len(digits) >= 7 else ""


def _groups(index: dict[object, list[int]]) -> Iterator[tuple[int, int]]:
    for members in index.values():
        if 1 < len(members) <= GROUP_LIMIT:
            yield from itertools.combinations(sorted(set(members)), 2)


def _close_pairs(records: list[_Record], block_of) -> Iterator[tuple[int, int, float]]:
    """Pairs whose main names are close, compared block by block."""
    blocks: dict[object, list[_Record]] = defaultdict(list)
    for record in records:
        if record.key:
            for block in block_of(record):
                blocks[block].append(record)
    for block in list(blocks.values()):
        if len(block) > BLOCK_LIMIT:
            split: dict[str, list[_Record]] = defaultdict(list)
            for record in block:
                split[record.key[0]].append(record)
            parts = list(split.values())
        else:
            parts = [block]
        for part in parts:
            if len(part) < 2:
                continue
            words = [_sorted_words(r.key) for r in part]
            scores = process.cdist(
                words,
                words,
                scorer=fuzz.ratio,
                score_cutoff=CLOSE,
                dtype=np.uint8,
                workers=-1,
            )
            rows, columns = np.nonzero(np.triu(scores, 1))
            for i, j in zip(rows.tolist(), columns.tolist(), strict=True):
                yield part[i].pk, part[j].pk, float(scores[i, j])


def _dismissals_state(kind: str) -> dict:
    return DuplicateDismissal.objects.filter(kind=kind).aggregate(
        n=Count("pk"), top=Max("pk")
    )


def _cached(kind: str, fingerprint: tuple, find) -> list[Pair]:
    """``find()``, or its result of the last CACHE_SECONDS for the same data.

    The fingerprint (counts, highest ids, last change) changes when a record
    is added, removed, saved or dismissed, so the list follows the edits;
    a change that bypasses ``save()`` (a bulk update) shows after
    CACHE_SECONDS at the latest.
    """
    digest = hashlib.sha256(repr(fingerprint).encode()).hexdigest()[:32]
    key = f"partners:duplicates:{kind}:{digest}"
    pairs = cache.get(key)
    if pairs is None:
        pairs = find()
        cache.set(key, pairs, CACHE_SECONDS)
    return pairs


def _dismissed(kind: str) -> set[tuple[int, int]]:
    return set(
        DuplicateDismissal.objects.filter(kind=kind).values_list("low_id", "high_id")
    )


def _ordered(pairs: Iterable[Pair]) -> list[Pair]:
    return sorted(pairs, key=lambda p: (-p.score, p.low, p.high))


# Partners --------------------------------------------------------------------


def _partner_records(queryset=None) -> dict[int, _Record]:
    queryset = Partner.objects.all() if queryset is None else queryset
    records: dict[int, _Record] = {}
    rows = queryset.order_by().values_list(
        "pk", "name", "name_fr", "short_name", "code", "country_id", "category"
    )
    for pk, name, name_fr, short_name, code, country, category in rows.iterator(
        chunk_size=5000
    ):
        key = normalize_name(name)
        record = _Record(pk=pk, key=key, country=country, category=category)
        record.keys = {k for k in (key, normalize_name(name_fr)) if k}
        record.codes = {c for c in (normalize_name(short_name), (code or "")) if c}
        records[pk] = record
    aliases = PartnerAlias.objects.filter(partner__in=queryset.values("pk"))
    for key, pk in aliases.values_list("normalized", "partner_id"):
        if pk in records:
            records[pk].keys.add(key)
    return records


def _score_partners(a: _Record, b: _Record, ratio: float | None) -> Pair | None:
    score, reasons = 0, []
    shared = a.keys & b.keys
    if shared:
        score += 70
        reasons.append(
            _("same normalised name or alias: “%(name)s”") % {"name": min(shared)}
        )
    else:
        if ratio is None:
            ratio = fuzz.ratio(_sorted_words(a.key), _sorted_words(b.key))
        if ratio >= CLOSE:
            score += round(ratio * 0.6)
            reasons.append(_("close names (%(ratio)d%% alike)") % {"ratio": ratio})
    codes = a.codes & b.codes
    if codes:
        score += 20
        reasons.append(_("same acronym or code: %(code)s") % {"code": min(codes)})
    if a.country and a.country == b.country and a.category == b.category:
        score += 10
        reasons.append(_("same country and category"))
    if score < MIN_SCORE:
        return None
    return Pair(a.pk, b.pk, min(score, 100), tuple(reasons))


def partner_duplicates() -> list[Pair]:
    """Every likely pair of duplicate partners, best first.

    A few queries whatever the number of partners; the work is in memory,
    and its result is kept while the partners, aliases and dismissals stay
    as they are (see ``_cached``).
    """
    fingerprint = (
        Partner.objects.aggregate(n=Count("pk"), top=Max("pk"), at=Max("updated_at")),
        PartnerAlias.objects.aggregate(n=Count("pk"), top=Max("pk")),
        _dismissals_state(DuplicateDismissal.Kind.PARTNER),
    )
    return _cached("partner", fingerprint, _partner_duplicates)


def _partner_duplicates() -> list[Pair]:
    records = _partner_records()
    by_key: dict[object, list[int]] = defaultdict(list)
    for record in records.values():
        for key in record.keys:
            by_key[key].append(record.pk)
        for code in record.codes:
            by_key["code", code, record.country].append(record.pk)
    candidates: dict[tuple[int, int], float | None] = dict.fromkeys(_groups(by_key))
    for low, high, ratio in _close_pairs(list(records.values()), _country):
        candidates[min(low, high), max(low, high)] = ratio
    dismissed = _dismissed(DuplicateDismissal.Kind.PARTNER)
    pairs = []
    for (low, high), ratio in candidates.items():
        if (low, high) in dismissed:
            continue
        pair = _score_partners(records[low], records[high], ratio)
        if pair:
            pairs.append(pair)
    return _ordered(pairs)


def partner_lookalikes(partner: Partner, *, limit: int = 5) -> list[Pair]:
    """The existing partners a new ``partner`` (not saved yet) looks like.

    Candidates are read through indexes: the same country, a name or acronym
    containing the name's longest word, or the same alias.
    """
    key = normalize_name(partner.name)
    if not key:
        return []
    word = max(key.split(), key=len)
    condition = Q(name__icontains=word) | Q(
        pk__in=PartnerAlias.objects.filter(
            normalized__in=[k for k in (key, normalize_name(partner.name_fr)) if k]
        ).values("partner")
    )
    if partner.short_name:
        condition |= Q(short_name__iexact=partner.short_name)
    if partner.country_id:
        condition |= Q(country_id=partner.country_id)
    queryset = Partner.objects.filter(condition)
    if partner.pk:
        queryset = queryset.exclude(pk=partner.pk)
    ids = list(queryset.values_list("pk", flat=True)[:LOOKALIKE_CANDIDATES])
    records = _partner_records(Partner.objects.filter(pk__in=ids))
    new = _Record(
        pk=0,
        key=key,
        keys={k for k in (key, normalize_name(partner.name_fr)) if k},
        codes={
            c for c in (normalize_name(partner.short_name), partner.code or "") if c
        },
        country=partner.country_id,
        category=partner.category,
    )
    pairs = [_score_partners(new, record, None) for record in records.values()]
    found = [Pair(0, p.high, p.score, p.reasons) for p in pairs if p is not None]
    return _ordered(found)[:limit]


# Contacts --------------------------------------------------------------------


def _contact_records(queryset=None) -> dict[int, _Record]:
    queryset = Contact.objects.all() if queryset is None else queryset
    records: dict[int, _Record] = {}
    rows = queryset.order_by().values_list(
        "pk", "first_name", "last_name", "email", "phone"
    )
    for pk, first, last, email, phone in rows.iterator(chunk_size=5000):
        key = normalize_name(f"{first} {last}")
        records[pk] = _Record(
            pk=pk,
            key=key,
            keys={key} if key else set(),
            emails={email.strip().lower()} if email else set(),
            phone=phone_key(phone),
        )
    affiliations = Affiliation.objects.filter(contact__in=queryset.values("pk"))
    for contact, partner in affiliations.values_list("contact_id", "partner_id"):
        if contact in records:
            records[contact].partners.add(partner)
    return records


def _score_contacts(a: _Record, b: _Record, ratio: float | None) -> Pair | None:
    score, reasons = 0, []
    if a.emails & b.emails:
        score += 60
        reasons.append(_("same e-mail: %(email)s") % {"email": min(a.emails)})
    if a.phone and a.phone == b.phone:
        score += 50
        reasons.append(_("same phone number"))
    if a.key and a.key == b.key:
        score += 50
        reasons.append(_("same name"))
    elif a.key and b.key:
        if ratio is None:
            ratio = fuzz.ratio(_sorted_words(a.key), _sorted_words(b.key))
        if ratio >= CLOSE:
            score += round(ratio * 0.5)
            reasons.append(_("close names (%(ratio)d%% alike)") % {"ratio": ratio})
    if a.partners & b.partners:
        score += 20
        reasons.append(_("same mission or organisation"))
    if score < MIN_SCORE:
        return None
    return Pair(a.pk, b.pk, min(score, 100), tuple(reasons))


def _country(record: _Record) -> list:
    return [record.country]


def _missions(record: _Record) -> set[int]:
    # A close name counts only beside a shared mission (see _score_contacts),
    # so close names are looked for among each partner's contacts only.
    return record.partners


def contact_duplicates() -> list[Pair]:
    """Every likely pair of duplicate contacts, best first (kept like partners')."""
    fingerprint = (
        Contact.objects.aggregate(n=Count("pk"), top=Max("pk"), at=Max("updated_at")),
        Affiliation.objects.aggregate(n=Count("pk"), top=Max("pk")),
        _dismissals_state(DuplicateDismissal.Kind.CONTACT),
    )
    return _cached("contact", fingerprint, _contact_duplicates)


def _contact_duplicates() -> list[Pair]:
    records = _contact_records()
    by_key: dict[object, list[int]] = defaultdict(list)
    for record in records.values():
        if record.key:
            by_key["name", _sorted_words(record.key)].append(record.pk)
        for email in record.emails:
            by_key["email", email].append(record.pk)
        if record.phone:
            by_key["phone", record.phone].append(record.pk)
    candidates: dict[tuple[int, int], float | None] = dict.fromkeys(_groups(by_key))
    for low, high, ratio in _close_pairs(list(records.values()), _missions):
        candidates[min(low, high), max(low, high)] = ratio
    dismissed = _dismissed(DuplicateDismissal.Kind.CONTACT)
    pairs = []
    for (low, high), ratio in candidates.items():
        if (low, high) in dismissed:
            continue
        pair = _score_contacts(records[low], records[high], ratio)
        if pair:
            pairs.append(pair)
    return _ordered(pairs)


def contact_lookalikes(
    contact: Contact, *, partner_ids: Iterable[int] = (), limit: int = 5
) -> list[Pair]:
    """The existing contacts a new ``contact`` (not saved yet) looks like."""
    key = normalize_name(f"{contact.first_name} {contact.last_name}")
    condition = Q(last_name__iexact=contact.last_name.strip())
    if contact.email:
        condition |= Q(email__iexact=contact.email.strip())
    queryset = Contact.objects.filter(condition)
    if contact.pk:
        queryset = queryset.exclude(pk=contact.pk)
    ids = list(queryset.values_list("pk", flat=True)[:LOOKALIKE_CANDIDATES])
    records = _contact_records(Contact.objects.filter(pk__in=ids))
    new = _Record(
        pk=0,
        key=key,
        keys={key} if key else set(),
        emails={contact.email.strip().lower()} if contact.email else set(),
        phone=phone_key(contact.phone),
        partners=set(partner_ids),
    )
    pairs = [_score_contacts(new, record, None) for record in records.values()]
    found = [Pair(0, p.high, p.score, p.reasons) for p in pairs if p is not None]
    return _ordered(found)[:limit]


# Dismissing --------------------------------------------------------------------


def duplicate_dismiss(*, kind: str, first: int, second: int, user) -> bool:
    """Mark two records "not a duplicate" for good; False if already marked."""
    low, high = sorted((int(first), int(second)))
    if low == high:
        return False
    try:
        with transaction.atomic():
            DuplicateDismissal.objects.create(
                kind=kind, low_id=low, high_id=high, dismissed_by=user
            )
    except IntegrityError:
        return False
    return True
