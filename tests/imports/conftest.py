"""A small world to import into: countries, governments, a lever, rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from crm.imports.engine import ImportOptions, run_import
from crm.imports.registry import get_importer
from crm.models import CountryAlias
from tests.factories import (
    CountryFactory,
    ExchangeRateFactory,
    GovernmentFactory,
    LeverFactory,
    PartnerFactory,
)

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def world(db):
    luxembourg = CountryFactory(
        iso3="LUX", iso2="LU", m49=442, name_en="Luxembourg", name_fr="Luxembourg"
    )
    korea = CountryFactory(
        iso3="KOR",
        iso2="KR",
        m49=410,
        name_en="Republic of Korea",
        name_fr="République de Corée",
        itu_name="Korea (Rep. of)",
    )
    germany = CountryFactory(
        iso3="DEU", iso2="DE", m49=276, name_en="Germany", name_fr="Allemagne"
    )
    civ = CountryFactory(
        iso3="CIV",
        iso2="CI",
        m49=384,
        name_en="Côte d'Ivoire",
        name_fr="Côte d'Ivoire",
    )
    CountryAlias.objects.create(country=korea, name="South Korea")
    governments = {
        "LUX": GovernmentFactory(country=luxembourg, name="Government of Luxembourg"),
        "KOR": GovernmentFactory(country=korea, name="Government of Korea"),
        "DEU": GovernmentFactory(country=germany, name="Germany"),
        "CIV": GovernmentFactory(country=civ, name="Côte d'Ivoire"),
    }
    acme = PartnerFactory(name="Acme Telecom", code="ACME", country=germany)
    lever = LeverFactory(code="voluntary", name="Voluntary contributions")
    for currency, units in {"CHF": "0.90", "EUR": "0.80", "JPY": "150"}.items():
        ExchangeRateFactory(
            currency=currency,
            effective_date=dt.date(2024, 1, 1),
            units_per_usd=Decimal(units),
        )
    return {"gov": governments, "acme": acme, "lever": lever, "germany": germany}


def do_import(name: str, content: bytes | str, filename: str = "file.csv", **options):
    if isinstance(content, str):
        content = content.encode("utf-8")
    if name == "pledges":
        # The world's one lever; tests of the lever rule pass lever=None.
        options.setdefault("lever", "voluntary")
    return run_import(
        get_importer(name),
        content,
        filename=filename,
        options=ImportOptions(**options),
    )
