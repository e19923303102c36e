"""manage.py load_exchange_rates: loads, updates, reports the rows it cannot use."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from crm.models import ExchangeRate
from tests.factories import ExchangeRateFactory

pytestmark = pytest.mark.django_db

D = Decimal


def load(path, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("load_exchange_rates", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def load_refused(path, *args) -> tuple[str, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("load_exchange_rates", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), str(error.value)


def write(tmp_path, text: str, name: str = "rates.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stored() -> dict[tuple[str, dt.date], Decimal]:
    return {
        (r.currency, r.effective_date): r.units_per_usd
        for r in ExchangeRate.objects.all()
    }


GOOD = (
    "currency,effective_date,units_per_usd\n"
    "CHF,2025-01-01,0.9012\n"
    "EUR,2025-01-01,0.9634\n"
    "JPY,2025-01-01,157.2\n"
)


def test_it_creates_the_rates_and_counts_them(tmp_path):
    out, err = load(write(tmp_path, GOOD))
    assert out.strip() == "3 created, 0 updated, 0 unchanged."
    assert err == ""
    assert stored() == {
        ("CHF", dt.date(2025, 1, 1)): D("0.9012"),
        ("EUR", dt.date(2025, 1, 1)): D("0.9634"),
        ("JPY", dt.date(2025, 1, 1)): D("157.2"),
    }
    assert ExchangeRate.objects.get(currency="CHF").source == "UN operational rate"


def test_a_second_run_changes_nothing(tmp_path):
    path = write(tmp_path, GOOD)
    load(path)
    out, _err = load(path)
    assert out.strip() == "0 created, 0 updated, 3 unchanged."


def test_it_updates_a_rate_already_stored_for_the_currency_and_date(tmp_path):
    ExchangeRateFactory(
        currency="EUR", effective_date=dt.date(2025, 1, 1), units_per_usd=D("0.95")
    )
    out, _err = load(write(tmp_path, GOOD))
    assert out.strip() == "2 created, 1 updated, 0 unchanged."
    assert stored()[("EUR", dt.date(2025, 1, 1))] == D("0.9634")


@pytest.mark.parametrize(
    "header",
    [
        "currency,effective_date,units_per_usd",
        "Currency,Effective date,Units per USD",
        "CODE,date,rate",
        "currency_code, Effective-Date , UNITS_PER_USD",
        "ccy,valid from,exchange rate",
    ],
)
def test_it_accepts_the_usual_header_spellings(tmp_path, header):
    load(write(tmp_path, f"{header}\nEUR,2025-02-01,0.96\n"))
    assert stored() == {("EUR", dt.date(2025, 2, 1)): D("0.96")}


def test_it_reads_semicolon_and_tab_separated_files(tmp_path):
    load(write(tmp_path, "currency;date;rate\nEUR;2025-02-01;0.96\n", "a.csv"))
    load(write(tmp_path, "currency\tdate\trate\nGBP\t2025-02-01\t0.8\n", "b.csv"))
    assert set(stored()) == {
        ("EUR", dt.date(2025, 2, 1)),
        ("GBP", dt.date(2025, 2, 1)),
    }


def test_it_reads_day_month_year_dates_thousands_and_lower_case_codes(tmp_path):
    text = (
        "currency,date,rate\n"
        'krw,31.01.2025,"1,452.30"\n'
        "JPY,03-Feb-2025,155\n"
        "EUR,2025-03-01 00:00:00,0.95\n"
    )
    load(write(tmp_path, text))
    assert stored() == {
        ("KRW", dt.date(2025, 1, 31)): D("1452.30"),
        ("JPY", dt.date(2025, 2, 3)): D("155"),
        ("EUR", dt.date(2025, 3, 1)): D("0.95"),
    }


def test_a_source_column_or_option_is_kept_on_the_rates(tmp_path):
    load(write(tmp_path, "currency,date,rate,source\nEUR,2025-02-01,0.96,ECB\n"))
    load(write(tmp_path, "currency,date,rate\nGBP,2025-02-01,0.8\n"), "--source", "UN")
    assert ExchangeRate.objects.get(currency="EUR").source == "ECB"
    assert ExchangeRate.objects.get(currency="GBP").source == "UN"


BAD = (
    "currency,effective_date,units_per_usd\n"  # line 1
    "CHF,2025-01-01,0.9\n"  # line 2: good
    "XYZ,2025-01-01,1.5\n"  # line 3: unknown currency
    "EUR,01/02/2025,0.95\n"  # line 4: ambiguous date
    "GBP,2025-02-30,0.8\n"  # line 5: no such date
    "\n"  # line 6: blank, skipped
    "JPY,2025-01-01,-150\n"  # line 7: negative
    "SEK,2025-01-01,0\n"  # line 8: zero
    "NOK,2025-01-01,ten\n"  # line 9: malformed
    "USD,2025-01-01,1.1\n"  # line 10: USD is always 1
    "DKK,2025-01-01,6.9\n"  # line 11: good
    "DKK,2025-01-01,7.0\n"  # line 12: conflicts with line 11
)


def test_unusable_rows_are_reported_with_line_and_value_and_nothing_is_written(
    tmp_path,
):
    out, err, error = load_refused(write(tmp_path, BAD))
    lines = err.strip().splitlines()
    assert lines == [
        "line 3, currency 'XYZ': unknown currency code",
        "line 4, effective date '01/02/2025': bad date, use YYYY-MM-DD",
        "line 5, effective date '2025-02-30': bad date, use YYYY-MM-DD",
        "line 7, units per USD '-150': rate must be positive",
        "line 8, units per USD '0': rate must be positive",
        "line 9, units per USD 'ten': malformed rate",
        "line 10, units per USD '1.1': USD is always 1 per USD",
        "line 12, units per USD '7.0': conflicts with line 11 for DKK on 2025-01-01",
    ]
    assert "8 row(s)" in error
    assert "nothing written" in error
    assert out == ""
    assert not ExchangeRate.objects.exists()


def test_valid_rows_only_writes_the_good_rows_and_still_fails(tmp_path):
    out, err, error = load_refused(write(tmp_path, BAD), "--valid-rows-only")
    assert out.strip() == "2 created, 0 updated, 0 unchanged."
    assert "line 3" in err
    assert "rejected and skipped" in error
    assert set(stored()) == {
        ("CHF", dt.date(2025, 1, 1)),
        ("DKK", dt.date(2025, 1, 1)),
    }


def test_a_file_with_rejected_rows_exits_non_zero(tmp_path, capsys):
    path = write(tmp_path, BAD)
    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(["manage.py", "load_exchange_rates", str(path)]).execute()
    assert exit_.value.code != 0
    assert "line 3" in capsys.readouterr().err


def test_a_file_without_the_needed_columns_is_refused(tmp_path):
    _out, _err, error = load_refused(write(tmp_path, "code,value\nEUR,0.9\n"))
    assert "effective_date" in error
    assert "units_per_usd" in error


def test_a_missing_file_is_refused(tmp_path):
    _out, _err, error = load_refused(tmp_path / "nowhere.csv")
    assert "Cannot read" in error


def test_an_empty_file_is_refused(tmp_path):
    _out, _err, error = load_refused(write(tmp_path, ""))
    assert "empty" in error


def test_a_header_without_rows_is_refused(tmp_path):
    _out, _err, error = load_refused(write(tmp_path, "currency,date,rate\n"))
    assert "no rates" in error
