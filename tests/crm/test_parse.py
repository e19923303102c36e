"""Reading amounts, dates, codes, names and flags typed by people."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crm.lib.parse import (
    Money,
    ParseError,
    clean_name,
    is_total_label,
    parse_amount,
    parse_bool,
    parse_code,
    parse_date,
)

# ---------------------------------------------------------------------------
# Amounts


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("CHF 1'234'567.50", "1234567.50", "CHF"),
        ("1’234’567.50", "1234567.50", None),
        ("1.234.567,50", "1234567.50", None),
        ("1,234,567.50", "1234567.50", None),
        ("1 234 567,50", "1234567.50", None),
        ("1\u00a0234\u00a0567,50", "1234567.50", None),
        ("1\u202f234\u202f567,50", "1234567.50", None),
        ("1\u2009234\u2009567,50", "1234567.50", None),
        ("USD 2.5m", "2500000", "USD"),
        ("2.5 million", "2500000", None),
        ("EUR 3bn", "3000000000", "EUR"),
        ("1.2k", "1200", None),
        ("2,5 Mio", "2500000", None),
        ("(1,000)", "-1000", None),
        ("-1,000", "-1000", None),
        ("1,000-", "-1000", None),
        ("\u22121,000", "-1000", None),
        ("(CHF 1'000)", "-1000", "CHF"),
        ("USD -2.5m", "-2500000", "USD"),
        ("$1,000", "1000", "USD"),
        ("1,000 $", "1000", "USD"),
        ("US$ 1,000", "1000", "USD"),
        ("€ 1.000,50", "1000.50", "EUR"),
        ("1 000 €", "1000", "EUR"),
        ("£12.5", "12.5", "GBP"),
        ("¥1000", "1000", "JPY"),
        ("Fr. 1'000.50", "1000.50", "CHF"),
        ("1'000.50 Fr.", "1000.50", "CHF"),
        ("CHF 75'000.-", "75000", "CHF"),
        ("75.000,--", "75000", None),
        ("1,234.5 chf", "1234.5", "CHF"),
        ("1,234", "1234", None),
        ("1,23", "1.23", None),
        ("1.234", "1.234", None),
        ("1 234,567", "1234.567", None),
        ("0.5", "0.5", None),
        (",5", "0.5", None),
        ("1000", "1000", None),
        ("1.5E+06", "1500000", None),
    ],
)
def test_it_reads_amounts_as_people_write_them(text, amount, currency):
    money = parse_amount(text)
    assert money == Money(Decimal(amount), currency)


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        (1234567, Decimal("1234567")),
        (1234567.5, Decimal("1234567.5")),
        (0.1, Decimal("0.1")),
        (Decimal("12.345"), Decimal("12.345")),
    ],
)
def test_it_reads_numbers_exactly(value, amount):
    assert parse_amount(value) == Money(amount, None)


def test_it_keeps_the_exact_decimal_for_callers_to_quantize():
    assert str(parse_amount("1.005").amount) == "1.005"


def test_the_currency_in_the_cell_wins_over_the_default():
    assert parse_amount("EUR 10", default_currency="CHF").currency == "EUR"
    assert parse_amount("10", default_currency="CHF").currency == "CHF"


@pytest.mark.parametrize(
    "text",
    ["12,34,5", "1..2", "abc", "--", "1,2,3", "12 34", "1'23", "EUR", "1.2.3,4,5"],
)
def test_it_rejects_amounts_it_cannot_read_naming_the_value(text):
    with pytest.raises(ParseError, match=f'Cannot read "{text}" as an amount'):
        parse_amount(text)


def test_it_rejects_an_unknown_currency_naming_it():
    with pytest.raises(ParseError, match='Unknown currency "XYZ"') as info:
        parse_amount("XYZ 100")
    assert info.value.code == "unknown_currency"


def test_it_rejects_two_currencies():
    with pytest.raises(ParseError, match="more than one currency"):
        parse_amount("USD 100 EUR")


@pytest.mark.parametrize("value", ["", "   ", None, "\u00a0"])
def test_it_rejects_an_empty_amount(value):
    with pytest.raises(ParseError, match="empty") as info:
        parse_amount(value)
    assert info.value.code == "empty"


@pytest.mark.parametrize("value", ["-1,000", "(1,000)", -5, "1,000-"])
def test_it_rejects_negatives_when_not_allowed(value):
    with pytest.raises(ParseError, match="negative") as info:
        parse_amount(value, allow_negative=False)
    assert info.value.code == "negative"


def test_zero_is_not_negative():
    assert parse_amount("0", allow_negative=False).amount == 0


@pytest.mark.parametrize("value", [True, float("nan"), float("inf"), Decimal("NaN")])
def test_it_rejects_values_that_are_not_amounts(value):
    with pytest.raises(ParseError):
        parse_amount(value)


@given(st.text())
@example("1e999999999")
@example("9" * 5000)
@example("(((1)))")
@example("$")
@settings(max_examples=500)
def test_parse_amount_raises_only_parse_error(text):
    try:
        money = parse_amount(text)
    except ParseError:
        return
    assert isinstance(money.amount, Decimal)
    assert money.amount.is_finite()


def _swiss(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", "'")


def _european(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _us(value: Decimal) -> str:
    return f"{value:,.2f}"


def _french(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")


@given(
    st.decimals(
        min_value=Decimal("-1e15"),
        max_value=Decimal("1e15"),
        places=2,
        allow_nan=False,
        allow_infinity=False,
    ),
    st.sampled_from([_swiss, _european, _us, _french]),
    st.sampled_from(["", "CHF ", "USD ", "€"]),
)
def test_formatted_amounts_parse_back_to_the_same_value(value, style, prefix):
    text = style(value)
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    text = sign + prefix + digits
    assert parse_amount(text).amount == value


# ---------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize(
    "value",
    [
        datetime.date(2024, 3, 31),
        datetime.datetime(2024, 3, 31, 15, 30, tzinfo=datetime.UTC),
        "2024-03-31",
        "2024-03-31T00:00:00Z",
        "2024-03-31 10:15:00",
        "20240331",
        "31.03.2024",
        "31/03/2024",
        "03/31/2024",
        "31-03-2024",
        "31.03.24",
        "31 March 2024",
        "31 mars 2024",
        "31 MARS 2024",
        "Mar 31, 2024",
        "March 31st, 2024",
        "Sunday, 31 March 2024",
        "dimanche 31 mars 2024",
        "31-Mar-24",
        "31-Mar-2024",
        45382,
        45382.75,
        "45382",
        Decimal("45382"),
    ],
)
def test_it_reads_dates_as_people_write_them(value):
    assert parse_date(value) == datetime.date(2024, 3, 31)


def test_french_month_names_with_accents():
    assert parse_date("1er février 2024") == datetime.date(2024, 2, 1)
    assert parse_date("15 août 2024") == datetime.date(2024, 8, 15)
    assert parse_date("3 déc. 2024") == datetime.date(2024, 12, 3)


@pytest.mark.parametrize(
    ("text", "dayfirst", "expected"),
    [
        ("01/02/2024", True, datetime.date(2024, 2, 1)),
        ("01/02/2024", False, datetime.date(2024, 1, 2)),
        ("13/02/2024", False, datetime.date(2024, 2, 13)),
        ("02/13/2024", True, datetime.date(2024, 2, 13)),
    ],
)
def test_ambiguous_dates_follow_dayfirst_and_unambiguous_ones_their_value(
    text, dayfirst, expected
):
    assert parse_date(text, dayfirst=dayfirst) == expected


def test_excel_serials_count_from_the_1900_date_system():
    assert parse_date(45292) == datetime.date(2024, 1, 1)
    assert parse_date(2958465) == datetime.date(9999, 12, 31)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024", 'Cannot read "2024" as a date'),
        (2024, 'Cannot read "2024" as a date'),
        ("31.02.2024", 'Cannot read "31.02.2024" as a date: there is no such day'),
        ("13/13/2024", "there is no month 13"),
        ("March 2024", 'Cannot read "March 2024"'),
        ("31.03.0024", "the year is out of range"),
        ("yesterday", 'Cannot read "yesterday"'),
        ("45382 days", 'Cannot read "45382 days"'),
        (True, 'Cannot read "True"'),
    ],
)
def test_it_rejects_what_is_not_a_date_naming_the_value(value, message):
    with pytest.raises(ParseError, match=message):
        parse_date(value)


@pytest.mark.parametrize("value", [None, "", "  "])
def test_it_rejects_an_empty_date(value):
    with pytest.raises(ParseError, match="empty"):
        parse_date(value)


_MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
_DATE_FORMATS = {
    "iso": (lambda d: d.isoformat(), True),
    "dotted": (lambda d: d.strftime("%d.%m.%Y"), True),
    "slashed day first": (lambda d: d.strftime("%d/%m/%Y"), True),
    "slashed month first": (lambda d: d.strftime("%m/%d/%Y"), False),
    "long English": (lambda d: d.strftime("%d %B %Y"), True),
    "short English": (lambda d: d.strftime("%b %d, %Y"), True),
    "long French": (lambda d: f"{d.day} {_MONTHS_FR[d.month - 1]} {d.year}", True),
    "serial": (lambda d: str((d - datetime.date(1899, 12, 30)).days), True),
}


@given(
    st.dates(
        min_value=datetime.date(1928, 1, 1), max_value=datetime.date(2199, 12, 31)
    ),
    st.sampled_from(sorted(_DATE_FORMATS)),
)
def test_dates_round_trip_through_each_format(day, name):
    write, dayfirst = _DATE_FORMATS[name]
    assert parse_date(write(day), dayfirst=dayfirst) == day


@given(st.one_of(st.text(), st.integers(), st.floats(), st.decimals()))
@settings(max_examples=500)
def test_parse_date_raises_only_parse_error(value):
    try:
        result = parse_date(value)
    except ParseError:
        return
    assert isinstance(result, datetime.date)


# ---------------------------------------------------------------------------
# Codes, names, flags, totals


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10 - Government", ("10", "Government")),
        ("10 – Government", ("10", "Government")),
        ("10-Government", ("10", "Government")),
        ("10: Government", ("10", "Government")),
        ("10", ("10", "")),
        (10, ("10", "")),
        (10.0, ("10", "")),
        ("Government", ("", "Government")),
        ("Other Public Sector", ("", "Other Public Sector")),
        ("XM-DAC-41114 - UNDP", ("XM-DAC-41114", "UNDP")),
        ("EUR - Euro", ("EUR", "Euro")),
        ("Government - central", ("", "Government - central")),
        ("", ("", "")),
        (None, ("", "")),
    ],
)
def test_it_splits_coded_labels(value, expected):
    assert parse_code(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Germany*", "Germany"),
        ("Germany **", "Germany"),
        ("Japan¹", "Japan"),
        ("Japan ²³", "Japan"),
        ("France (a)", "France"),
        ("Italy [1]", "Italy"),
        ("Spain†", "Spain"),
        ("Norway 2/", "Norway"),
        ("CÃ´te d'Ivoire", "Côte d'Ivoire"),
        ("TÃ¼rkiye*", "Türkiye"),
        ("  Korea   (Rep. of) ", "Korea (Rep. of)"),
        ("Luxembourg,\u00a0Government of", "Luxembourg, Government of"),
        ("Congo (the)", "Congo (the)"),
        ("*", "*"),
        (None, ""),
    ],
)
def test_clean_name_strips_footnotes_and_repairs_text(value, expected):
    assert clean_name(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", True),
        ("Yes", True),
        ("oui", True),
        ("true", True),
        ("1", True),
        ("x", True),
        ("X", True),
        (1, True),
        (True, True),
        ("no", False),
        ("non", False),
        ("false", False),
        ("0", False),
        (0, False),
        ("", False),
        (None, False),
    ],
)
def test_it_reads_yes_and_no(value, expected):
    assert parse_bool(value) is expected


def test_it_rejects_a_flag_it_cannot_read():
    with pytest.raises(ParseError, match='Cannot read "maybe" as yes or no'):
        parse_bool("maybe")


@pytest.mark.parametrize(
    "value",
    [
        "Total",
        "TOTAL",
        "Total:",
        "Totals",
        "Grand total",
        "Sub-total",
        "Subtotal",
        "Sub total",
        "Total général",
        "Sous-total",
        "Total 2024",
        "Total (CHF)",
    ],
)
def test_it_recognises_total_labels(value):
    assert is_total_label(value)


@pytest.mark.parametrize(
    "value", ["Germany", "Total S.A.", "TotalEnergies", "Totalement", "", None, 100]
)
def test_names_are_not_total_labels(value):
    assert not is_total_label(value)
