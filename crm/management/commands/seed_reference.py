"""Load the reference data the CRM needs before anything else.

Countries (the 194 ITU Member States and Palestine) with their aliases and the
UN least-developed-country flag, exchange rates (the UN operational starter
set from 2022, monthly ECB-derived rates and fixed pegs back to 1999), the ITU
contributory unit per year, and one government partner per Member State and
for Palestine. Everything comes from the CSV files in ``crm/data/``.

The command is idempotent: a second run changes nothing. Fields an
administrator may correct (a country's LDC flag and ITU region, a government
partner's names, an exchange rate or a unit value that differs from the starter
set) are written only when a row is created, or when ``--reset`` is given.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, router, transaction
from django.db.models import Q
from django.utils import timezone

from crm.lib.currencies import currencies
from crm.lib.names import normalize_name
from crm.models import Country, CountryAlias, ExchangeRate

DATA = Path(__file__).resolve().parents[2] / "data"

UNIT_VALUE_CHF = Decimal("318000.00")
UNIT_VALUE_YEARS = range(2016, 2028)

# Fields read from countries.csv on every run, and the ones an administrator
# owns once the row exists.
COUNTRY_REFERENCE_FIELDS = (
    "iso2",
    "m49",
    "name_en",
    "name_fr",
    "name_es",
    "formal_name",
    "itu_name",
    "m49_region",
    "m49_subregion",
    "income_group",
    "is_itu_member_state",
    "is_observer",
    "is_un_member",
)
COUNTRY_EDITABLE_FIELDS = ("is_ldc", "itu_region", "itu_region_inferred")
GOVERNMENT_EDITABLE_FIELDS = ("name", "name_fr", "short_name", "category")

AUTOMATIC_ALIAS_COLUMNS = (
    ("name_en", CountryAlias.Kind.UN),
    ("itu_idi_name", CountryAlias.Kind.ITU),
    ("formal_en", CountryAlias.Kind.FORMAL),
    ("name_fr", CountryAlias.Kind.FRENCH),
    ("name_es", CountryAlias.Kind.SPANISH),
)


@dataclass
class Tally:
    """What a run did to one table."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # rows that differ from the data but were left as edited

    def __str__(self) -> str:
        text = (
            f"{self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )
        if self.kept:
            text += (
                f" ({self.kept} differ from the data and were kept as edited; "
                "--reset overwrites them)"
            )
        return text


def read_csv(name: str) -> list[dict[str, str]]:
    path = DATA / name
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            {key: (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def country_values(row: dict[str, str], *, ldc: set[str]) -> dict[str, Any]:
    """The Country field values for one row of countries.csv."""
    region = row["itu_bdt_region"]
    if region not in Country.Region.values:
        raise CommandError(
            f"countries.csv, {row['iso3']}: unknown ITU region {region!r}."
        )
    return {
        "iso2": row["iso2"],
        "m49": int(row["m49"]),
        "name_en": row["name_en"],
        "name_fr": row["name_fr"],
        "name_es": row["name_es"],
        "formal_name": row["formal_en"],
        "itu_name": row["itu_idi_name"] or row["name_en"],
        "m49_region": row["m49_region"],
        "m49_subregion": row["m49_subregion"],
        "income_group": row["wb_income"],
        "is_itu_member_state": row["itu_member_state"] == "Y",
        "is_observer": row["itu_member_state"].startswith("N (observer"),
        "is_un_member": row["un_member"] == "Y",
        "is_ldc": row["iso3"] in ldc,
        "itu_region": region,
        "itu_region_inferred": row["itu_bdt_region_source"].startswith("inferred"),
    }


def read_ldc(*, known: set[str]) -> set[str]:
    ldc = {row["iso3"] for row in read_csv("ldc.csv")}
    unknown = sorted(ldc - known)
    if unknown:
        raise CommandError(f"ldc.csv names unknown countries: {', '.join(unknown)}.")
    return ldc


def seed_countries(*, rows: list[dict[str, str]], reset: bool) -> Tally:
    tally = Tally()
    ldc = read_ldc(known={row["iso3"] for row in rows})
    existing = {country.iso3: country for country in Country.objects.all()}
    to_create: list[Country] = []
    to_update: list[Country] = []
    for row in rows:
        values = country_values(row, ldc=ldc)
        country = existing.get(row["iso3"])
        if country is None:
            to_create.append(Country(iso3=row["iso3"], **values))
            tally.created += 1
            continue
        owned = COUNTRY_REFERENCE_FIELDS + (COUNTRY_EDITABLE_FIELDS if reset else ())
        changed = [f for f in owned if getattr(country, f) != values[f]]
        if not reset and any(
            getattr(country, f) != values[f] for f in COUNTRY_EDITABLE_FIELDS
        ):
            tally.kept += 1
        if changed:
            for field in changed:
                setattr(country, field, values[field])
            to_update.append(country)
            tally.updated += 1
        else:
            tally.unchanged += 1
    Country.objects.bulk_create(to_create)
    if to_update:
        Country.objects.bulk_update(
            to_update, COUNTRY_REFERENCE_FIELDS + COUNTRY_EDITABLE_FIELDS
        )
    return tally


def wanted_aliases(rows: list[dict[str, str]]) -> Iterable[tuple[str, str, str]]:
    """(iso3, spelling, kind): the names in countries.csv, then the curated list."""
    for row in rows:
        for column, kind in AUTOMATIC_ALIAS_COLUMNS:
            if row[column]:
                yield row["iso3"], row[column], kind
    for number, row in enumerate(read_csv("country_aliases.csv"), start=2):
        if row["kind"] not in CountryAlias.Kind.values:
            raise CommandError(
                f"country_aliases.csv line {number}: unknown kind {row['kind']!r} "
                f"for {row['spelling']!r}."
            )
        yield row["iso3"], row["spelling"], row["kind"]


def seed_aliases(*, rows: list[dict[str, str]]) -> Tally:
    """Add every spelling whose normalised form is new; never reassign one.

    A spelling that normalises to an alias of another country is a data error:
    the run stops and names both countries.
    """
    tally = Tally()
    countries = {country.iso3: country for country in Country.objects.all()}
    owners: dict[str, tuple[str, str]] = {
        normalized: (iso3, name)
        for normalized, iso3, name in CountryAlias.objects.values_list(
            "normalized", "country__iso3", "name"
        )
    }
    seen: set[str] = set()  # keys created or counted in this run
    to_create: list[CountryAlias] = []
    for iso3, spelling, kind in wanted_aliases(rows):
        if iso3 not in countries:
            raise CommandError(f"Alias {spelling!r} names unknown country {iso3!r}.")
        key = normalize_name(spelling)
        if not key:
            continue
        owner = owners.get(key)
        if owner is None:
            owners[key] = (iso3, spelling)
            seen.add(key)
            to_create.append(
                CountryAlias(
                    country=countries[iso3], name=spelling, normalized=key, kind=kind
                )
            )
            tally.created += 1
        elif owner[0] != iso3:
            other = countries.get(owner[0])
            raise CommandError(
                f"Alias conflict: {spelling!r} for {iso3} "
                f"({countries[iso3].name_en}) normalises to {key!r}, which is "
                f"already {owner[1]!r} of {owner[0]} "
                f"({other.name_en if other else '?'}). Correct "
                "crm/data/country_aliases.csv or the alias in the admin."
            )
        elif key not in seen:
            seen.add(key)
            tally.unchanged += 1
    CountryAlias.objects.bulk_create(to_create)
    return tally


RATE_FILES = ("exchange_rates_history.csv", "exchange_rates.csv")


@cache
def wanted_rates() -> dict[tuple[str, dt.date], tuple[Decimal, str]]:
    """(currency, date) -> (units per USD, source) from the bundled rate files.

    The history (ECB reference rates and fixed pegs, see ``crm/lib/ecb.py``)
    is read first and the UN operational starter set after it: where both have
    a currency and date, the UN operational rate wins.
    """
    known = currencies()
    wanted: dict[tuple[str, dt.date], tuple[Decimal, str]] = {}
    for name in RATE_FILES:
        for number, row in enumerate(read_csv(name), start=2):
            currency = row["currency"].upper()
            try:
                on = dt.date.fromisoformat(row["effective_date"])
                value = Decimal(row["units_per_usd"])
            except (ValueError, InvalidOperation) as error:
                raise CommandError(f"{name} line {number}: {error}") from None
            if currency not in known or value <= 0:
                raise CommandError(
                    f"{name} line {number}: bad rate {currency} {value}."
                )
            wanted[(currency, on)] = (value, row["source"])
    return wanted


def insert_rates(rows: list[tuple[str, dt.date, Decimal, str]], *, now) -> None:
    """INSERT the new rates with one executemany.

    Some 11,000 rates on a fresh database, and every test that seeds pays for
    them: model instances and ``bulk_create`` cost 4.7 s of 8 s here (profiled,
    loaded 2-core machine), the statement itself 0.6 s. The values are checked
    by ``wanted_rates``.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(ExchangeRate)]
    ops, meta = connection.ops, ExchangeRate._meta
    columns = ("currency", "effective_date", "units_per_usd", "source", "updated_at")
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        ops.quote_name(meta.db_table),
        ", ".join(ops.quote_name(meta.get_field(c).column) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )
    stamp = ops.adapt_datetimefield_value(now)
    params = [
        (
            currency,
            ops.adapt_datefield_value(on),
            ops.adapt_decimalfield_value(value, 24, 10),
            source,
            stamp,
        )
        for currency, on, value, source in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def seed_exchange_rates(*, reset: bool) -> Tally:
    tally = Tally()
    existing = {
        (currency, on): (pk, value, source)
        for pk, currency, on, value, source in ExchangeRate.objects.values_list(
            "pk", "currency", "effective_date", "units_per_usd", "source"
        )
    }
    to_create: list[tuple[str, dt.date, Decimal, str]] = []
    to_update: list[ExchangeRate] = []
    now = timezone.now()
    for (currency, on), (value, source) in wanted_rates().items():
        stored = existing.get((currency, on))
        if stored is None:
            to_create.append((currency, on, value, source))
            tally.created += 1
        elif stored[1] == value and stored[2] == source:
            tally.unchanged += 1
        elif reset:
            to_update.append(
                ExchangeRate(
                    pk=stored[0],
                    currency=currency,
                    effective_date=on,
                    units_per_usd=value,
                    source=source,
                    updated_at=now,
                )
            )
            tally.updated += 1
        else:
            tally.kept += 1
            tally.unchanged += 1
    insert_rates(to_create, now=now)
    if to_update:
        ExchangeRate.objects.bulk_update(
            to_update, ["units_per_usd", "source", "updated_at"], batch_size=2000
        )
    return tally


def seed_unit_values(*, reset: bool) -> Tally:
    UnitValue = apps.get_model("partners", "UnitValue")
    tally = Tally()
    existing = {unit.year: unit for unit in UnitValue.objects.all()}
    to_create, to_update = [], []
    for year in UNIT_VALUE_YEARS:
        unit = existing.get(year)
        if unit is None:
            to_create.append(UnitValue(year=year, member_state_unit_chf=UNIT_VALUE_CHF))
            tally.created += 1
        elif unit.member_state_unit_chf == UNIT_VALUE_CHF:
            tally.unchanged += 1
        elif reset:
            unit.member_state_unit_chf = UNIT_VALUE_CHF
            to_update.append(unit)
            tally.updated += 1
        else:
            tally.kept += 1
            tally.unchanged += 1
    UnitValue.objects.bulk_create(to_create)
    if to_update:
        UnitValue.objects.bulk_update(to_update, ["member_state_unit_chf"])
    return tally


def seed_governments(*, reset: bool) -> Tally:
    """One government partner per Member State and observer, coded GOV-<ISO3>.

    The code and the country link belong to this command; the names, the
    short name and the category belong to the administrators once the partner
    exists.
    """
    Partner = apps.get_model("partners", "Partner")
    government = Partner.Category.GOVERNMENT
    tally = Tally()
    countries = list(
        Country.objects.filter(
            Q(is_itu_member_state=True) | Q(is_observer=True)
        ).order_by("iso3")
    )
    codes = {country.pk: f"GOV-{country.iso3}" for country in countries}
    by_code = {
        partner.code: partner
        for partner in Partner.objects.filter(code__in=codes.values())
    }
    by_country = {
        partner.country_id: partner
        for partner in Partner.objects.filter(
            category=government, country__in=countries
        )
    }
    to_create, to_update = [], []
    now = timezone.now()
    for country in countries:
        code = codes[country.pk]
        values = {
            "name": country.name_en,
            "name_fr": country.name_fr,
            "short_name": country.iso3,
            "category": government,
        }
        partner = by_code.get(code) or by_country.get(country.pk)
        if partner is None:
            to_create.append(Partner(code=code, country=country, **values))
            tally.created += 1
            continue
        holder = by_country.get(country.pk)
        if holder is not None and holder.pk != partner.pk:
            raise CommandError(
                f"{code} is partner #{partner.pk} ({partner.name}), but "
                f"{country.name_en} already has its government partner "
                f"#{holder.pk} ({holder.name}). Merge or recode one of them."
            )
        changed = [
            field
            for field, value in (("code", code), ("country_id", country.pk))
            if getattr(partner, field) != value
        ]
        differing = [f for f, v in values.items() if getattr(partner, f) != v]
        if reset:
            changed += differing
        elif differing:
            tally.kept += 1
        if changed:
            partner.code, partner.country_id = code, country.pk
            if reset:
                for field, value in values.items():
                    setattr(partner, field, value)
            partner.updated_at = now
            to_update.append(partner)
            tally.updated += 1
        else:
            tally.unchanged += 1
    Partner.objects.bulk_create(to_create)
    if to_update:
        Partner.objects.bulk_update(
            to_update, ["code", "country", *GOVERNMENT_EDITABLE_FIELDS, "updated_at"]
        )
    return tally


class Command(BaseCommand):
    help = (
        "Load countries, aliases, LDC flags, exchange rates, contributory units "
        "and the government partners from crm/data/. Idempotent; administrators' "
        "edits survive unless --reset is given."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help=(
                "Overwrite fields administrators may edit (LDC flag, ITU region, "
                "government partner names, starter exchange rates and units) "
                "with the bundled data."
            ),
        )

    def handle(self, *args, reset: bool = False, **options) -> None:
        rows = read_csv("countries.csv")
        with transaction.atomic():
            tallies = {
                "Countries": seed_countries(rows=rows, reset=reset),
                "Country aliases": seed_aliases(rows=rows),
                "Exchange rates": seed_exchange_rates(reset=reset),
                "Contributory units": seed_unit_values(reset=reset),
                "Government partners": seed_governments(reset=reset),
            }
        for label, tally in tallies.items():
            self.stdout.write(f"{label}: {tally}")
