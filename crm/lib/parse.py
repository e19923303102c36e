"""Reading values typed by people: amounts, dates, coded labels, names, flags.

Each parser takes what a spreadsheet cell holds (text, or a number or date
from an XLSX file) and returns a Python value, or raises ``ParseError`` with a
message that names the value and can be shown to the user as is.

Amounts follow one documented rule for the separator question (see
``parse_amount``); dates resolve day/month by value when they can and by the
caller's ``dayfirst`` setting when they cannot.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from crm.lib.currencies import currencies
from crm.lib.names import repair_mojibake, strip_accents


class ParseError(ValueError):
    """A value that cannot be read; the message is meant for the user.

    ``code`` tells callers what went wrong without parsing the message:
    "empty", "invalid", "unknown_currency", "negative", "ambiguous".
    """

    def __init__(self, message: str, *, code: str = "invalid", value: object = None):
        super().__init__(message)
        self.code = code
        self.value = value


def _shown(value: object) -> str:
    """The value as quoted in a message, cut short if it is long."""
    text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return text


# ---------------------------------------------------------------------------
# Amounts


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str | None


# Spaces people and spreadsheets put inside numbers: no-break, narrow no-break,
# thin, figure and punctuation spaces.
_SPACE_CHARS = dict.fromkeys(map(ord, "\u00a0\u202f\u2009\u2007\u2008\u200a\t"), " ")
_APOSTROPHES = dict.fromkeys(map(ord, "’‘ʼ´`′"), "'")
_MINUSES = dict.fromkeys(map(ord, "\u2212\u2013\u2014\u2010\u2011\ufe63\uff0d"), "-")

_SYMBOLS = {
    "$": "USD",
    "us$": "USD",
    "usd$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "fr.": "CHF",
    "fr": "CHF",
    "sfr.": "CHF",
    "sfr": "CHF",
    "chf.": "CHF",
}
# Longest first, so "US$" wins over "$" and "SFr." over "Fr.".
_SYMBOL_PATTERN = "|".join(
    re.escape(symbol) for symbol in sorted(_SYMBOLS, key=len, reverse=True)
)
_CURRENCY_TOKEN = rf"(?:{_SYMBOL_PATTERN}|[A-Za-z]{{3}}(?![A-Za-z]))"
_LEADING_CURRENCY = re.compile(rf"^(?P<cur>{_CURRENCY_TOKEN})\s*", re.IGNORECASE)
_TRAILING_CURRENCY = re.compile(
    rf"(?:(?<=[\d\s.)])|^)(?P<cur>{_CURRENCY_TOKEN})$", re.IGNORECASE
)

_MULTIPLIERS = {
    "k": 10**3,
    "thousand": 10**3,
    "thousands": 10**3,
    "m": 10**6,
    "mn": 10**6,
    "mio": 10**6,
    "mil": 10**6,
    "million": 10**6,
    "millions": 10**6,
    "b": 10**9,
    "bn": 10**9,
    "billion": 10**9,
    "billions": 10**9,
    "md": 10**9,
    "mrd": 10**9,
    "milliard": 10**9,
    "milliards": 10**9,
}
_MULTIPLIER = re.compile(
    r"(?<=[\d\s.])(?P<mult>"
    + "|".join(sorted(_MULTIPLIERS, key=len, reverse=True))
    + r")\.?$",
    re.IGNORECASE,
)
# Digits with grouping (space, apostrophe, comma, dot) and at most one decimal
# separator; the meaning of each separator is decided in _read_number.
_NUMBER = re.compile(r"^(?:\d[\d ',.]*|[.,]\d+)$")
_SCIENTIFIC = re.compile(r"^\d{1,20}(?:\.\d{1,20})?[eE][+-]?\d{1,2}$")
# More digits than any amount has; beyond this Decimal arithmetic would round.
_MAX_DIGITS = 24
_GROUPS = re.compile(r"[ ',.]")
_WHOLE_DASH = re.compile(r"(?<=\d)([.,])--?(?=\s*(?:[A-Za-z.]*\s*)$)")


def parse_amount(
    value: object,
    *,
    default_currency: str | None = None,
    allow_negative: bool = True,
) -> Money:
    """Read an amount and its currency from a cell.

    Accepts numbers, and text such as "CHF 1'234'567.50", "1.234.567,50",
    "1 234 567,50", "USD 2.5m", "EUR 3bn", "(1,000)", "1,000-", with a currency
    code or symbol ($ € £ ¥ Fr.) before or after the number. Without one the
    currency is ``default_currency``.

    Separators: spaces and apostrophes always group thousands. When both "," and
    "." appear, the last one is the decimal separator. A separator that appears
    more than once groups thousands. A single "," followed by exactly three
    digits groups thousands ("1,234" is 1234); a single "." is a decimal point
    ("1.234" is 1.234) unless the number is already grouped with spaces or
    apostrophes, in which case a single "," or "." is always the decimal
    separator ("1 234,567" is 1234.567). Grouped digits must come in threes.

    The amount is the exact Decimal written; callers quantize.
    """
    if value is None or isinstance(value, bool):
        if value is None:
            raise ParseError(_("The amount is empty."), code="empty", value=value)
        raise ParseError(
            _('Cannot read "%(value)s" as an amount.') % {"value": value}, value=value
        )
    if isinstance(value, int | float | Decimal):
        amount = _decimal_from_number(value)
        currency = default_currency
    else:
        amount, currency = _amount_from_text(str(value), default_currency)
    if amount < 0 and not allow_negative:
        raise ParseError(
            _('The amount "%(value)s" is negative; negative amounts are not allowed.')
            % {"value": _shown(value)},
            code="negative",
            value=value,
        )
    return Money(amount, currency)


def _decimal_from_number(value: int | float | Decimal) -> Decimal:
    # repr() of a float is the shortest text that reads back the same, so an
    # XLSX 1234567.5 becomes Decimal("1234567.5"), not its binary expansion.
    amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not amount.is_finite():
        raise ParseError(
            _('Cannot read "%(value)s" as an amount.') % {"value": value}, value=value
        )
    return amount


def _amount_from_text(
    original: str, default_currency: str | None
) -> tuple[Decimal, str | None]:
    text = unicodedata.normalize("NFC", original)
    text = text.translate(_SPACE_CHARS).translate(_APOSTROPHES).translate(_MINUSES)
    text = " ".join(text.split())
    if not text:
        raise ParseError(_("The amount is empty."), code="empty", value=original)

    def invalid() -> ParseError:
        return ParseError(
            _('Cannot read "%(value)s" as an amount.') % {"value": _shown(original)},
            value=original,
        )

    # Swiss and German whole amounts: "75'000.-", "75.000,--" (no cents).
    text = _WHOLE_DASH.sub(lambda match: match[1] + "0", text)
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    currency_tokens: list[str] = []
    multiplier = 1
    # Peel signs, currencies and a multiplier off both ends, in any order:
    # "-USD 2.5m", "USD -2.5m", "(CHF 1'000)", "1,000- CHF".
    for _round in range(4):
        before = text
        if text.startswith(("-", "+")):
            negative ^= text[0] == "-"
            text = text[1:].strip()
        elif text.endswith("-") and len(text) > 1:
            negative = not negative
            text = text[:-1].strip()
        if text.startswith("(") and text.endswith(")"):
            negative, text = not negative, text[1:-1].strip()
        match = _LEADING_CURRENCY.match(text)
        if match and match.end() < len(text):
            currency_tokens.append(match["cur"])
            text = text[match.end() :].strip()
        # The multiplier first: "2.5 mio" is millions, not a currency "MIO".
        match = _MULTIPLIER.search(text)
        if match and multiplier == 1 and match.start() > 0:
            multiplier = _MULTIPLIERS[match["mult"].lower()]
            text = text[: match.start()].strip()
        match = _TRAILING_CURRENCY.search(text)
        if match and match.start() > 0:
            currency_tokens.append(match["cur"])
            text = text[: match.start()].strip()
        if text == before:
            break
    if not text:
        raise invalid()
    currency = _currency_from_tokens(currency_tokens, original) or default_currency
    amount = _read_number(text)
    if amount is None:
        raise invalid()
    if multiplier != 1:
        amount *= multiplier
    return (amount.copy_negate() if negative else amount), currency


def _currency_from_tokens(tokens: list[str], original: str) -> str | None:
    codes = set()
    for token in tokens:
        code = _SYMBOLS.get(token.lower(), token.upper())
        if code not in currencies():
            raise ParseError(
                _('Unknown currency "%(code)s" in "%(value)s".')
                % {"code": token, "value": _shown(original)},
                code="unknown_currency",
                value=original,
            )
        codes.add(code)
    if len(codes) > 1:
        raise ParseError(
            _('The amount "%(value)s" names more than one currency.')
            % {"value": _shown(original)},
            value=original,
        )
    return codes.pop() if codes else None


def _read_number(text: str) -> Decimal | None:
    """The Decimal for digits and separators, or None when they make no sense."""
    if _SCIENTIFIC.match(text):
        return Decimal(text)
    if not _NUMBER.match(text):
        return None
    grouped = " " in text or "'" in text
    decimal_sep = None
    last_comma, last_dot = text.rfind(","), text.rfind(".")
    if last_comma >= 0 and last_dot >= 0:
        decimal_sep = "," if last_comma > last_dot else "."
    elif last_comma >= 0 or last_dot >= 0:
        sep = "," if last_comma >= 0 else "."
        position = max(last_comma, last_dot)
        if text.count(sep) == 1:
            digits_after = len(text) - position - 1
            thousands = sep == "," and digits_after == 3 and not grouped
            if not thousands:
                decimal_sep = sep
    if decimal_sep is not None:
        integer, _sep, fraction = text.rpartition(decimal_sep)
        if not fraction.isdigit():
            return None
    else:
        integer, fraction = text, ""
    if integer:
        groups = _GROUPS.split(integer)
        if not all(group.isdigit() for group in groups):
            return None
        if len(groups) > 1 and (
            len(groups[0]) > 3 or any(len(group) != 3 for group in groups[1:])
        ):
            return None
        integer = "".join(groups)
    if len(integer) + len(fraction) > _MAX_DIGITS:
        return None
    try:
        return Decimal(f"{integer or '0'}.{fraction}" if fraction else integer)
    except InvalidOperation:  # pragma: no cover - the patterns above prevent it
        return None


# ---------------------------------------------------------------------------
# Dates

_MONTHS = {
    # English
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
    # French, accents stripped
    "janvier": 1,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
    "janv": 1,
    "fevr": 2,
    "fev": 2,
    "avr": 4,
    "juil": 7,
}
_WEEKDAYS = {
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
}
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ]\d{1,2}:\d{2}.*)?$")
_COMPACT_ISO = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_NUMERIC = re.compile(
    r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?:[T ]\d{1,2}:\d{2}.*)?$"
)
_SERIAL = re.compile(r"^\d{5,7}(?:\.\d+)?$")
_DATE_WORDS = re.compile(r"[\s,./-]+")
_ORDINAL = re.compile(r"^(\d{1,2})(?:st|nd|rd|th|er|e)$")
# Excel's 1900 date system counts 1900-02-29, a day that never was: serials from
# 61 on are one day ahead of a plain count from 1899-12-31.
_EXCEL_EPOCH = datetime.date(1899, 12, 30)
# Below 10000 (1927-05-18) a bare number is more likely a year or a count.
_SERIAL_MIN, _SERIAL_MAX = 10_000, 2_958_465
_YEAR_MIN, _YEAR_MAX = 1900, 2199


def parse_date(value: object, *, dayfirst: bool = True) -> datetime.date:
    """Read a date from a cell.

    Accepts date and datetime objects, ISO dates ("2024-03-31", with or without
    a time), numeric dates ("31.03.2024", "31/03/2024", "03/31/2024"; a day
    above 12 settles the order, otherwise ``dayfirst`` does), dates with month
    names in English or French ("31 March 2024", "31 mars 2024",
    "Mar 31, 2024", "31-Mar-24") and Excel serial numbers of the 1900 date
    system (45382, "45382"). A bare year such as "2024" is not a date.
    Years must lie between 1900 and 2199.
    """
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if value is None:
        raise ParseError(_("The date is empty."), code="empty", value=value)
    if isinstance(value, bool):
        raise _date_error(value)
    if isinstance(value, int | float | Decimal):
        return _from_serial(value, value)
    text = " ".join(str(value).translate(_SPACE_CHARS).split())
    if not text:
        raise ParseError(_("The date is empty."), code="empty", value=value)
    if _SERIAL.match(text):
        return _from_serial(Decimal(text), value)
    if match := _ISO.match(text) or _COMPACT_ISO.match(text):
        year, month, day = (int(part) for part in match.groups())
        return _make_date(year, month, day, value)
    if match := _NUMERIC.match(text):
        first, _sep, second, year_text = match.groups()
        year = _expand_year(year_text)
        first_n, second_n = int(first), int(second)
        if first_n > 12 >= second_n:
            day, month = first_n, second_n
        elif second_n > 12 >= first_n:
            day, month = second_n, first_n
        elif dayfirst:
            day, month = first_n, second_n
        else:
            day, month = second_n, first_n
        return _make_date(year, month, day, value)
    return _from_words(text, value)


def _date_error(value: object, reason: str = "") -> ParseError:
    if reason:
        message = _('Cannot read "%(value)s" as a date: %(reason)s.') % {
            "value": _shown(value),
            "reason": reason,
        }
    else:
        message = _('Cannot read "%(value)s" as a date.') % {"value": _shown(value)}
    return ParseError(message, value=value)


def _from_serial(number: int | float | Decimal, original: object) -> datetime.date:
    try:
        days = int(number)  # the fraction is the time of day
    except (ValueError, OverflowError):
        raise _date_error(original) from None
    if not _SERIAL_MIN <= days <= _SERIAL_MAX:
        raise _date_error(original)
    return _EXCEL_EPOCH + datetime.timedelta(days=days)


def _expand_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        # The strptime pivot: 69-99 are the 1900s, 00-68 the 2000s.
        year += 1900 if year >= 69 else 2000
    return year


def _make_date(year: int, month: int, day: int, original: object) -> datetime.date:
    if not _YEAR_MIN <= year <= _YEAR_MAX:
        raise _date_error(original, _("the year is out of range"))
    if not 1 <= month <= 12:
        raise _date_error(original, _("there is no month %(month)s") % {"month": month})
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise _date_error(original, _("there is no such day")) from None


def _from_words(text: str, original: object) -> datetime.date:
    words = [
        word
        for word in _DATE_WORDS.split(strip_accents(text).lower())
        if word and word not in _WEEKDAYS
    ]
    month = None
    numbers: list[str] = []
    for word in words:
        if word in _MONTHS and month is None:
            month = _MONTHS[word]
        elif word.isdigit():
            numbers.append(word)
        elif match := _ORDINAL.match(word):
            numbers.append(match[1])
        else:
            raise _date_error(original)
    if month is None or len(numbers) != 2:
        raise _date_error(original)
    long_years = [n for n in numbers if len(n) == 4]
    if len(long_years) == 1:
        year_text = long_years[0]
        day_text = numbers[1] if numbers[0] == year_text else numbers[0]
    elif not long_years and all(len(n) <= 2 for n in numbers):
        day_text, year_text = numbers  # "31-Mar-24"
    else:
        raise _date_error(original)
    if len(day_text) > 2:
        raise _date_error(original)
    return _make_date(_expand_year(year_text), month, int(day_text), original)


# ---------------------------------------------------------------------------
# Codes, names, flags, total rows

# "10 - Government", "XM-DAC-41114 - UNDP", "EUR: Euro", "10 | Government"
_SPACED_SEPARATOR = re.compile(r"\s+[-–—:|]\s+|\s*[:|]\s*")
# "10-Government", "10. Government", "10) Government", "10 Government"
_NUMBER_PREFIX = re.compile(r"^(\d+)\s*(?:[-–—.)]\s*|\s)(?=\D)(.+)$")


def _looks_like_code(text: str) -> bool:
    return (
        bool(text)
        and not any(c.isspace() for c in text)
        and (any(c.isdigit() for c in text) or (text.isupper() and len(text) <= 12))
    )


def parse_code(value: object) -> tuple[str, str]:
    """Split a coded label: "10 - Government" -> ("10", "Government").

    A value alone is a code when it has no spaces and contains a digit
    ("10" -> ("10", "")), otherwise a label ("Government" -> ("", "Government")).
    """
    if value is None or isinstance(value, bool):
        return "", ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).translate(_SPACE_CHARS).split())
    if not text:
        return "", ""
    parts = _SPACED_SEPARATOR.split(text, maxsplit=1)
    if len(parts) == 2 and _looks_like_code(parts[0]) and parts[1]:
        return parts[0], parts[1]
    if match := _NUMBER_PREFIX.match(text):
        return match[1], match[2].strip()
    if _looks_like_code(text) and any(c.isdigit() for c in text):
        return text, ""
    return "", text


# Footnote markers at the end of a name: "Germany*", "Japan¹", "Spain†",
# "France (a)", "Italy [1]", "Norway 2/".
_FOOTNOTE = re.compile(
    r"(?:\s*[*†‡§¶#]+|\s*[\u00b9\u00b2\u00b3\u2070-\u2079]+"
    r"|\s*\((?:[a-zA-Z]|\d{1,2}|[ivx]{1,4})\)|\s*\[(?:[a-zA-Z]|\d{1,3})\]"
    r"|\s+\d{1,2}/)$"
)


def clean_name(value: object) -> str:
    """A name as typed, without footnote markers, mojibake or extra spaces.

    "Germany*" -> "Germany", "TÃ¼rkiye" -> "Türkiye",
    "Korea (Rep. of)" stays as it is.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", repair_mojibake(str(value)))
    text = " ".join(text.translate(_SPACE_CHARS).split())
    while True:
        stripped = _FOOTNOTE.sub("", text).rstrip()
        if stripped == text or not stripped:
            return text
        text = stripped


_TRUE = {"yes", "y", "oui", "o", "true", "vrai", "t", "1", "x", "✓", "✔"}
_FALSE = {"no", "n", "non", "false", "faux", "f", "0", ""}


def parse_bool(value: object) -> bool:
    """Read a yes/no cell: yes/no, oui/non, true/false, 1/0, x.

    An empty cell is False, as in a column where "x" marks the rows that apply.
    """
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal) and value in (0, 1):
        return bool(value)
    word = strip_accents(str(value)).strip().lower().rstrip(".")
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ParseError(
        _('Cannot read "%(value)s" as yes or no.') % {"value": _shown(value)},
        value=value,
    )


_TOTAL_WORDS = re.compile(
    r"^(?:grand\s*|sub\s*|sous\s*)?totals?\b(?P<rest>.*)$", re.IGNORECASE
)
# What may follow "Total" on a total row; anything else ("Total S.A.") is a name.
_TOTAL_TAIL = {
    "general",
    "generale",
    "for",
    "of",
    "all",
    "the",
    "year",
    "annee",
    "donors",
    "contributions",
    "pledges",
    "payments",
    "amount",
    "amounts",
    "en",
    "in",
}


def is_total_label(value: object) -> bool:
    """Whether a cell labels a total row: "Total", "Grand total", "Sub-total",
    "Sous-total", "Total général", "Total 2024", "Total (CHF)"."""
    if not isinstance(value, str) or "tot" not in value[:20].casefold():
        return False
    text = strip_accents(value).strip().lower()
    match = _TOTAL_WORDS.match(text.replace("-", " "))
    if not match:
        return False
    rest = re.findall(r"[^\W_]+", match["rest"])
    return all(
        word in _TOTAL_TAIL or word.isdigit() or word.upper() in currencies()
        for word in rest
    )
