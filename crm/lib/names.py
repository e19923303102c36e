"""Name normalisation shared by search, matching and imports.

One function decides when two spellings are "the same name": "Korea (Rep. of)",
"Korea, Republic of" and "REPUBLIC OF KOREA" all normalise to
"republic of korea"; "Côte d'Ivoire" and "Cote d'Ivoire" to "cote d ivoire".
"""

from __future__ import annotations

import re
import unicodedata

from django.utils import translation

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
}

_SPACES = re.compile(r"\s+")
# "Lao P.D.R." -> "Lao PDR" before punctuation turns it into single letters.
_DOTTED_ACRONYM = re.compile(r"\b(?:[A-Za-z]\.){2,}")
# Lead bytes of UTF-8 sequences as they look when read as Windows-1252.
_MOJIBAKE_HINT = re.compile("[ÃÂâÅ][\u0080-\u00bf\u0152-\u2122]")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")
_PARENTHESISED = re.compile(r"^(?P<head>[^()]+)\((?P<tail>[^()]+)\)\s*$")


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as Windows-1252: "TÃ¼rkiye" -> "Türkiye".

    Only a strict round trip is accepted, so genuine text such as "SÃO PAULO"
    comes back unchanged.
    """
    if not _MOJIBAKE_HINT.search(text):
        return text
    for codec in ("cp1252", "latin-1"):
        try:
            return text.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
    return text


def _marks_are_optional(base: str) -> bool:
    """Whether combining marks on ``base`` are accents rather than letters.

    Latin and Greek accents and Arabic and Hebrew vowel points are optional;
    in Cyrillic or Indic scripts a mark makes another letter ("й" is not "и").
    """
    code = ord(base)
    return (
        code < 0x0250  # Latin, Latin-1, Latin Extended-A/B
        or 0x0370 <= code < 0x0400  # Greek
        or 0x0590 <= code < 0x0700  # Hebrew, Arabic
        or 0x1E00 <= code < 0x1F00  # Latin Extended Additional
    )


# Latin letters that Unicode does not decompose into a base and an accent.
_LATIN_FOLDS = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "ı": "i",
        "æ": "ae",
        "Æ": "Ae",
        "œ": "oe",
        "Œ": "Oe",
        "ß": "ss",
        "þ": "th",
        "Þ": "Th",
    }
)


def strip_accents(text: str) -> str:
    """Drop accents from Latin and Greek letters, keep other scripts' letters."""
    if text.isascii():
        return text  # nothing to drop; the loop below costs most of a name's time
    text = text.translate(_LATIN_FOLDS)
    kept: list[str] = []
    optional = False
    for char in unicodedata.normalize("NFKD", text):
        if not unicodedata.combining(char):
            optional = _marks_are_optional(char)
        elif optional:
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _words(text: str) -> list[str]:
    """Split on anything but letters, digits and the marks that belong to them.

    Vowel signs of Indic scripts are marks, not punctuation: "भारत" is one word.
    """
    if text.isascii():
        return _ASCII_WORD.findall(text)
    return "".join(
        char if char.isalnum() or unicodedata.category(char)[0] == "M" else " "
        for char in text
    ).split()


def normalize_name(text: str | None) -> str:
    """Return the comparison key for an organisation or country name.

    Case, accents, punctuation and the word order of "X, Republic of" or
    "X (Rep. of)" are ignored; "&" reads as "and"; common abbreviations are
    expanded; a leading "the" is dropped; text mangled by a wrong decoding
    ("TÃ¼rkiye") is repaired first.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", repair_mojibake(str(text))).strip()
    text = text.replace("’", "'").replace("‘", "'").replace("&", " and ")
    text = _DOTTED_ACRONYM.sub(lambda m: m.group(0).replace(".", ""), text)
    match = _PARENTHESISED.match(text)
    if match:
        text = f"{match['tail']} {match['head']}"
    elif text.count(",") == 1:
        head, tail = (part.strip() for part in text.split(","))
        if tail:
            text = f"{tail} {head}"
    text = strip_accents(text).lower()
    words = _words(text)
    words = [_ABBREVIATIONS.get(word, word) for word in words]
    if words and words[0] == "the":
        words = words[1:]
    return _SPACES.sub(" ", " ".join(words)).strip()


_OF = r"(?:de\s+la\s+|de\s+l'\s*|du\s+|des\s+|d'\s*|de\s+)"
_MFA = r"ministry\s+(?:of|for)\s+foreign\s+affairs(?:\s+and\s+[a-z ]+?)?"
_MFA_FR = r"ministere\s+des\s+affaires\s+etrangeres(?:\s+et\s+[^,()]+?)?"
_KIND = r"(?:(?:federal|royal|national|central)\s+)?"
# Each form names the state in its group "x"; the caller checks that it is a
# country, so "Government of Flanders" or "Local Government" stay apart.
_GOVERNMENT_FORMS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # "Government of X", "The Federal Government of the X"
        rf"^(?:the\s+)?{_KIND}government\s+of\s+(?:the\s+)?(?P<x>.+)$",
        # "X, Government of", "X (Government of)"
        rf"^(?P<x>.+?)\s*(?:,\s*|\(\s*)(?:the\s+)?{_KIND}government\s+of\s*\)?$",
        # "X Government", "X, Government", "X (Government)"
        r"^(?P<x>.+?)\s*,?\s*(?:\(\s*)?government\s*\)?$",
        # "Gouvernement de X", "Le Gouvernement du X", "Gouvernement fédéral d'X"
        rf"^(?:le\s+)?gouvernement\s+(?:(?:federal|royal)\s+)?{_OF}(?P<x>.+)$",
        # "X, Gouvernement de", "X (Gouvernement)"
        r"^(?P<x>.+?)\s*(?:,\s*|\(\s*)gouvernement"
        r"(?:\s+(?:de\s+la|de\s+l'|du|des|d'|de))?\s*\)?$",
        # "Ministry of Foreign Affairs of X", "Ministry of Foreign Affairs and
        # Trade of the X"
        rf"^(?:the\s+)?{_MFA}\s+of\s+(?:the\s+)?(?P<x>.+)$",
        # "X, Ministry of Foreign Affairs", "X (Ministry of Foreign Affairs)"
        rf"^(?P<x>.+?)\s*(?:,\s*|\(\s*|\s+){_MFA}\s*\)?$",
        # "Ministère des affaires étrangères de X"
        rf"^{_MFA_FR}\s+{_OF}(?P<x>.+)$",
    )
]


def government_country(text: str | None) -> str | None:
    """The country a government's name points to, as written, or None.

    "Korea, Republic of, Government of", "Government of the Republic of Korea",
    "Saudi Arabia (Kingdom of), Government of", "Gouvernement de la Suisse"
    and "Ministry of Foreign Affairs of Norway" give the country part, to be
    looked up among the country names and aliases. Anything else gives None:
    "UNICEF National Committee/Germany" is not a government.
    """
    if not text:
        return None
    text = unicodedata.normalize("NFKC", repair_mojibake(str(text)))
    text = strip_accents(text.replace("\u2019", "'").replace("\u2018", "'"))
    text = _SPACES.sub(" ", text).strip(" ,;")
    for form in _GOVERNMENT_FORMS:
        match = form.match(text)
        if match:
            country = match["x"].strip(" ,;")
            if country:
                return country
    return None


def localized_name(english: str, french: str = "", language: str | None = None) -> str:
    """A record's name for the reader: the French one for a French reader, if any.

    The one rule for partners, countries, levers and events in lists, pickers,
    record names, e-mails and documents. ``language`` defaults to the active
    language ("fr-ch" reads as French).
    """
    language = language or translation.get_language() or "en"
    if french and language.split("-")[0] == "fr":
        return french
    return english


def language_names(text: str) -> str:
    """A list of languages as typed ("Japanese, English") in the reader's language.

    Names Django knows (its list of languages, in English or in the reader's
    language) are translated, in lower case in French ("japonais, anglais");
    anything else stays as typed.
    """
    if not text:
        return ""
    from django.conf import global_settings

    known = {english.lower(): english for _code, english in global_settings.LANGUAGES}
    french = (translation.get_language() or "").startswith("fr")
    names = []
    for typed in re.split(r"\s*[,;/]\s*", text.strip()):
        english = known.get(typed.lower())
        name = translation.gettext(english) if english else typed
        names.append(name.lower() if french and english else name)
    return ", ".join(n for n in names if n)


def user_name(user) -> str:
    """How a user is named on pages, documents and downloads: full name or login."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
