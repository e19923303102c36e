"""Name normalisation shared by search, matching and imports.

One function decides when two spellings are "the same name": "Korea (Rep. of)",
"Korea, Republic of" and "REPUBLIC OF KOREA" all normalise to
"republic of korea"; "Côte d'Ivoire" and "Cote d'Ivoire" to "cote d ivoire".
"""

from __future__ import annotations

import re
import unicodedata

# Abbreviations seen in ITU, UN and ISO spellings, expanded word by word.
_ABBREVIATIONS = {
    "rep": "republic",
    "repub": "republic",
    "dem": "democratic",
    "democ": "democratic",
    "pdr": "people s democratic republic",
    "fed": "federal",
    "sts": "states",
    "st": "saint",
    "is": "islands",
    "isl": "islands",
    "u": "united",
    "govt": "government",
    "gov": "government",
    "intl": "international",
    "int": "international",
    "univ": "university",
    "&": "and",
}

_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w&]+")
# "Lao P.D.R." -> "Lao PDR" before punctuation turns it into single letters.
_DOTTED_ACRONYM = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_PARENTHESISED = re.compile(r"^(?P<head>[^()]+)\((?P<tail>[^()]+)\)\s*$")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize_name(text: str | None) -> str:
    """Return the comparison key for an organisation or country name.

    Case, accents, punctuation and the word order of "X, Republic of" or
    "X (Rep. of)" are ignored; common abbreviations are expanded; a leading
    "the" is dropped.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", str(text)).strip()
    text = text.replace("’", "'").replace("‘", "'")
    text = _DOTTED_ACRONYM.sub(lambda m: m.group(0).replace(".", ""), text)
    match = _PARENTHESISED.match(text)
    if match:
        text = f"{match['tail']} {match['head']}"
    elif text.count(",") == 1:
        head, tail = (part.strip() for part in text.split(","))
        if tail:
            text = f"{tail} {head}"
    text = strip_accents(text).lower()
    words = _NON_WORD.sub(" ", text).split()
    words = [_ABBREVIATIONS.get(word, word) for word in words]
    if words and words[0] == "the":
        words = words[1:]
    return _SPACES.sub(" ", " ".join(words)).strip()
