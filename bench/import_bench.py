"""Import benchmark: 100,000 pledges from CSV and XLSX.

Runs on its own SQLite database under /tmp (and its own media folder), so it
never touches the project's data. It generates a donor pledge file of
100,000 rows (Swiss, European and US amounts, day-first dates, donors by
name, ISO code and partner code) as CSV and as XLSX, then measures in the
same run, on the same rows:

- the engine importing new rows, and re-importing the unchanged file;
- the floor: read the file, parse the values, ``bulk_create`` (no matching,
  no validation, no idempotency);
- django-import-export with default settings on a 5,000-row sample
  (the same rows, pre-cleaned to plain amounts and ISO dates, since its
  widgets read neither Swiss amounts nor day-first dates), extrapolated;
- the CSV through the background path the admin takes above
  ``BACKGROUND_ROWS``: the preview task (plan every row, keep the preview on
  the batch), then the import task confirmed from it. The tasks run in the
  benchmark's process (Django's immediate backend), so the figures leave out
  only the worker's pick-up delay.

and prints rows per second, peak memory and the ratios against the targets
(new rows >= 50% of the floor, unchanged re-import >= 25%, >= 10x the
defaults, peak memory <= 512 MB).

Last, an OCHA FTS-shaped export of ``FTS_ROWS`` flows (2016-2021, donors
written "Government of X", "X" and as new organisations, a third of them
paid, KWD flows that only the file's exchangeRate converts, zero-amount
placeholders) is imported end to end with partners created, then again.

    .venv/bin/python -m bench.import_bench
    .venv/bin/python -m bench.import_bench --fts   # the FTS figures alone
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROWS = int(os.environ.get("IMPORT_BENCH_ROWS", "100000"))
FTS_ROWS = int(os.environ.get("IMPORT_BENCH_FTS_ROWS", "10000"))
SAMPLE = int(os.environ.get("IMPORT_BENCH_SAMPLE", "5000"))
DB_PATH = Path(os.environ.get("IMPORT_BENCH_DB", "/tmp/crm_import_bench.sqlite3"))
MEDIA = Path("/tmp/crm_import_bench_media")
FILES = Path("/tmp/crm_import_bench_files")
CURRENCIES = {"CHF": "0.90", "EUR": "0.92", "USD": "1", "JPY": "150", "GBP": "0.79"}


def setup_django(*, fresh: bool = True) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{DB_PATH}"
    os.environ["MEDIA_ROOT"] = str(MEDIA)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if fresh:
        for path in (DB_PATH, Path(f"{DB_PATH}-wal"), Path(f"{DB_PATH}-shm")):
            path.unlink(missing_ok=True)
        shutil.rmtree(MEDIA, ignore_errors=True)
        shutil.rmtree(FILES, ignore_errors=True)
    import django

    django.setup()
    if fresh:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def seed() -> list[tuple[str, str, str]]:
    """Countries, their governments, companies, a lever and rates."""
    from crm.models import Country, ExchangeRate
    from partners.models import Partner
    from pledges.models import Lever

    Lever.objects.get_or_create(code="voluntary", defaults={"name": "Voluntary"})
    countries = [
        Country(
            iso3=f"Q{chr(65 + i // 26)}{chr(65 + i % 26)}",
            iso2=f"{chr(65 + i // 26)}{chr(65 + i % 26)}",
            m49=100 + i,
            name_en=f"Country {i}",
            name_fr=f"Pays {i}",
            itu_name=f"Country {i}",
            itu_region="EUR",
            is_itu_member_state=True,
        )
        for i in range(150)
    ]
    Country.objects.bulk_create(countries)
    partners = [
        Partner(
            name=f"Government of Country {i}",
            category="government",
            country=country,
            code=f"GOV-{country.iso3}",
        )
        for i, country in enumerate(Country.objects.order_by("pk"))
    ]
    partners += [
        Partner(name=f"Company {i} Ltd", category="private_sector", code=f"CO-{i}")
        for i in range(150)
    ]
    Partner.objects.bulk_create(partners)
    ExchangeRate.objects.bulk_create(
        ExchangeRate(
            currency=code,
            effective_date=dt.date(2015, 1, 1) + dt.timedelta(days=30 * m),
            units_per_usd=Decimal(units) * (1 + Decimal(m % 7) / 100),
        )
        for code, units in CURRENCIES.items()
        if code != "USD"
        for m in range(130)
    )
    return [
        (p.name, p.code, p.country.iso3 if p.country_id else "")
        for p in Partner.objects.select_related("country")
    ]


def amount_text(rng: random.Random, value: Decimal, currency: str) -> str:
    whole, cents = divmod(int(value * 100), 100)
    style = rng.randrange(4)
    if style == 0:
        return f"{whole:,}".replace(",", "'") + f".{cents:02d}"
    if style == 1:
        return f"{whole:,}".replace(",", ".") + f",{cents:02d}"
    if style == 2:
        return f"{whole:,}.{cents:02d}"
    return f"{currency} {whole}.{cents:02d}"


def generate(donors):
    """Yield (typed, clean): a row as a person types it, and pre-cleaned."""
    rng = random.Random(5)
    for n in range(ROWS):
        name, code, iso3 = rng.choice(donors)
        donor = rng.choice([name, name + "*", code, iso3 or name])
        currency = rng.choice(list(CURRENCIES))
        value = Decimal(rng.randrange(1_000_00, 5_000_000_00)) / 100
        day = dt.date(2018, 1, 1) + dt.timedelta(days=rng.randrange(2500))
        reference = f"P-{n:06d}"
        title = f"Pledge {n}"
        typed = [
            donor,
            reference,
            amount_text(rng, value, currency),
            currency,
            day.strftime("%d.%m.%Y"),
            title,
        ]
        yield typed, [name, reference, str(value), currency, day.isoformat(), title]


HEADERS = ["Donor", "Reference", "Amount", "Currency", "Date", "Title"]


def write_files(donors) -> tuple[dict[str, Path], list[list[str]]]:
    """The CSV and XLSX files (written row by row) and the clean sample."""
    from openpyxl import Workbook

    FILES.mkdir(parents=True, exist_ok=True)
    paths = {"csv": FILES / "pledges.csv", "xlsx": FILES / "pledges.xlsx"}
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Pledges")
    sheet.append(["Pledges received (benchmark)"])
    sheet.append([])
    sheet.append(HEADERS)
    sample = []
    with paths["csv"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for typed, clean in generate(donors):
            writer.writerow(typed)
            sheet.append(typed)
            if len(sample) < SAMPLE:
                sample.append(clean)
    book.save(paths["xlsx"])
    return paths, sample


def clear_pledges() -> None:
    from pledges.models import Pledge

    Pledge.objects.all().delete()


def engine(data: bytes, name: str) -> tuple[float, dict]:
    from crm.imports.engine import ImportOptions
    from crm.imports.services import batch_create, batch_run

    start = time.perf_counter()
    batch = batch_create(
        resource="pledges",
        data=data,
        file_name=name,
        options=ImportOptions(lever="voluntary"),
    )
    result = batch_run(batch=batch, data=data)
    seconds = time.perf_counter() - start
    if result.has_errors:
        errors = [r.message for r in result.rows if r.outcome == "error"][:5]
        raise SystemExit(f"benchmark file did not import: {result.file_error} {errors}")
    return seconds, result.counts


def floor(data: bytes, name: str) -> float:
    """Read, parse, bulk_create: what any import must at least do."""
    from crm.lib.money import CHF, RateTable
    from crm.lib.names import normalize_name
    from crm.lib.parse import clean_name, parse_amount, parse_date
    from crm.lib.tabular import read_table
    from partners.models import Partner
    from pledges.models import Lever, Pledge

    start = time.perf_counter()
    table = read_table(data, filename=name, header_hints=HEADERS)
    lever = Lever.objects.active().order_by("position", "name")[0].pk
    partners = {}
    for pk, pname, code, iso3 in Partner.objects.values_list(
        "pk", "name", "code", "country__iso3"
    ):
        partners[normalize_name(pname)] = pk
        partners[normalize_name(code)] = pk
        if iso3:
            partners[normalize_name(iso3)] = pk
    rates = RateTable.load()
    batch = []
    for row in table.rows:
        values = row.values
        money = parse_amount(values["Amount"], default_currency=values["Currency"])
        day = parse_date(values["Date"])
        rate = rates.rate(money.currency, CHF, day)
        batch.append(
            Pledge(
                partner_id=partners[normalize_name(clean_name(values["Donor"]))],
                lever_id=lever,
                title=values["Title"],
                stage=Pledge.Stage.PLEDGED,
                probability=75,
                amount=money.amount,
                currency=money.currency,
                amount_chf=(money.amount * rate).quantize(Decimal("0.01")),
                chf_rate=rate,
                rate_date=day,
                pledged_on=day,
                external_id=values["Reference"],
            )
        )
        if len(batch) == 1000:
            Pledge.objects.bulk_create(batch)
            batch = []
    Pledge.objects.bulk_create(batch)
    return time.perf_counter() - start


def import_export_defaults(sample) -> float:
    """django-import-export, default settings, on the first SAMPLE rows."""
    import tablib
    from import_export import fields, resources, widgets

    from partners.models import Partner
    from pledges.models import Lever, Pledge

    class PledgeResource(resources.ModelResource):
        partner = fields.Field(
            attribute="partner",
            column_name="Donor",
            widget=widgets.ForeignKeyWidget(Partner, "name"),
        )
        lever = fields.Field(
            attribute="lever",
            column_name="Lever",
            widget=widgets.ForeignKeyWidget(Lever, "code"),
        )
        external_id = fields.Field(attribute="external_id", column_name="Reference")
        amount = fields.Field(
            attribute="amount", column_name="Amount", widget=widgets.DecimalWidget()
        )
        currency = fields.Field(attribute="currency", column_name="Currency")
        pledged_on = fields.Field(
            attribute="pledged_on", column_name="Date", widget=widgets.DateWidget()
        )
        title = fields.Field(attribute="title", column_name="Title")
        stage = fields.Field(attribute="stage", column_name="Stage")

        class Meta:
            model = Pledge
            fields = (
                "partner",
                "lever",
                "external_id",
                "amount",
                "currency",
                "pledged_on",
                "title",
                "stage",
            )
            import_id_fields = ("external_id",)

    dataset = tablib.Dataset(headers=[*HEADERS, "Lever", "Stage"])
    for row in sample:
        dataset.append([*row, "voluntary", "pledged"])
    start = time.perf_counter()
    result = PledgeResource().import_data(dataset, dry_run=False, raise_errors=True)
    seconds = time.perf_counter() - start
    assert not result.has_errors()
    return seconds


def peak_mb() -> float:
    """This process's peak resident memory.

    ``ru_maxrss`` of a child starts at its parent's peak (Linux keeps it
    across ``exec``), so read the high-water mark of the process's own memory
    where there is one.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(path: Path) -> int:
    """Engine runs in their own process, so the peak memory is theirs."""
    setup_django(fresh=False)
    data = path.read_bytes()
    clear_pledges()
    seconds, counts = engine(data, path.name)
    assert counts["new"] == ROWS, counts
    new_seconds = seconds
    seconds, counts = engine(data, path.name)
    assert counts["unchanged"] == ROWS, counts
    print(json.dumps({"new": new_seconds, "again": seconds, "peak": peak_mb()}))
    return 0


def background(path: Path) -> int:
    """Preview then import ``path`` through the background tasks."""
    os.environ["TASKS_BACKEND"] = "django.tasks.backends.immediate.ImmediateBackend"
    setup_django(fresh=False)
    from crm.imports.engine import ImportOptions
    from crm.imports.services import batch_create, batch_enqueue
    from crm.models import ImportBatch

    data = path.read_bytes()
    clear_pledges()
    start = time.perf_counter()
    batch = batch_create(
        resource="pledges",
        data=data,
        file_name=path.name,
        options=ImportOptions(lever="voluntary"),
        dry_run=True,
    )
    # Outside a transaction the task is enqueued, and run, at once.
    batch_enqueue(batch=batch, dry_run=True)
    preview_seconds = time.perf_counter() - start
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED, batch.message
    assert batch.rows_new == ROWS, batch.message
    preview_kb = len(json.dumps(batch.preview)) / 1024
    preview_peak = peak_mb()
    start = time.perf_counter()
    batch_enqueue(batch=batch, dry_run=False)
    import_seconds = time.perf_counter() - start
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE, batch.message
    figures = {
        "preview": preview_seconds,
        "import": import_seconds,
        "preview_kb": preview_kb,
        "preview_peak": preview_peak,
        "peak": peak_mb(),
    }
    clear_pledges()  # here, so that no other run's figures count the delete
    print(json.dumps(figures))
    return 0


def main() -> int:
    setup_django()
    donors = seed()
    paths, sample = write_files(donors)
    sizes = ", ".join(
        f"{kind.upper()} {path.stat().st_size / 2**20:.1f} MB"
        for kind, path in paths.items()
    )
    print(f"{ROWS:,} rows; {sizes}; database {DB_PATH}")
    run = subprocess.run(
        [sys.executable, "-m", "bench.import_bench", "--background", str(paths["csv"])],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode:
        print(run.stdout, run.stderr)
        return 1
    tasks = json.loads(run.stdout.strip().splitlines()[-1])
    rates: dict[str, dict[str, float]] = {}
    for kind, path in paths.items():
        run = subprocess.run(
            [sys.executable, "-m", "bench.import_bench", "--engine", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode:
            print(run.stdout, run.stderr)
            return 1
        figures = json.loads(run.stdout.strip().splitlines()[-1])
        clear_pledges()
        floor_rate = ROWS / floor(path.read_bytes(), path.name)
        new_rate, again_rate = ROWS / figures["new"], ROWS / figures["again"]
        rates[kind] = {"new": new_rate}
        print(
            f"{kind.upper():4} engine new rows   {new_rate:9,.0f} rows/s "
            f"({new_rate / floor_rate:.0%} of the floor; target >= 50%)"
        )
        print(
            f"{kind.upper():4} engine re-import  {again_rate:9,.0f} rows/s "
            f"({again_rate / floor_rate:.0%} of the floor; target >= 25%), "
            "all rows unchanged, nothing written"
        )
        print(f"{kind.upper():4} floor             {floor_rate:9,.0f} rows/s")
        print(
            f"{kind.upper():4} engine peak memory {figures['peak']:,.0f} MB "
            "(whole process, both runs; target <= 512 MB)"
        )
    print(
        f"CSV  background preview {tasks['preview']:6.1f} s "
        f"({ROWS / tasks['preview']:,.0f} rows/s; peak memory "
        f"{tasks['preview_peak']:,.0f} MB; kept on the batch: "
        f"{tasks['preview_kb']:,.0f} KB)"
    )
    print(
        f"CSV  background import  {tasks['import']:6.1f} s "
        f"({ROWS / tasks['import']:,.0f} rows/s; peak memory "
        f"{tasks['peak']:,.0f} MB, both runs)"
    )
    clear_pledges()
    ie_rate = SAMPLE / import_export_defaults(sample)
    print(
        f"django-import-export defaults: {ie_rate:,.0f} rows/s "
        f"on {SAMPLE:,} rows (extrapolated to {ROWS:,}: "
        f"{ROWS / ie_rate / 60:.1f} min)"
    )
    for kind, figures in rates.items():
        print(
            f"{kind.upper():4} engine new rows vs import-export defaults: "
            f"{figures['new'] / ie_rate:.1f}x (target >= 10x)"
        )
    sys.stdout.flush()
    # On a fresh database of its own: the FTS flows need other partners.
    return subprocess.run(
        [sys.executable, "-m", "bench.import_bench", "--fts"], check=False
    ).returncode


FTS_HEADER = [
    "date",
    "description",
    "amountUSD",
    "srcOrganization",
    "srcOrganizationTypes",
    "srcLocations",
    "destOrganization",
    "contributionType",
    "flowType",
    "status",
    "originalAmount",
    "originalCurrency",
    "exchangeRate",
    "id",
]


def fts_file(donors) -> tuple[bytes, int]:
    """An FTS export of ``FTS_ROWS`` flows, and how many of them are zero."""
    import io

    rng = random.Random(12)
    governments = [(name, iso3) for name, code, iso3 in donors if iso3]
    currencies = ["EUR", "CHF", "GBP", "JPY", "USD", "KWD"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FTS_HEADER)
    zero = 0
    for number in range(FTS_ROWS):
        kind = number % 10
        if kind < 6:
            name, _iso3 = governments[rng.randrange(len(governments))]
            donor = name if kind < 3 else name.removeprefix("Government of ")
            types, place = "Government", donor.removeprefix("Government of ")
        else:
            donor = f"Relief Organisation {rng.randrange(400)}"
            types, place = rng.choice(["NGO", "Private organization/foundation"]), ""
        currency = rng.choice(currencies)
        per_usd = Decimal(CURRENCIES.get(currency, "0.302"))
        amount = Decimal(rng.randrange(1_000, 5_000_000))
        if number % 50 == 7:
            amount, zero = Decimal(0), zero + 1
        day = dt.date(2016, 1, 1) + dt.timedelta(days=rng.randrange(6 * 365))
        writer.writerow(
            [
                f"{day.isoformat()}T00:00:00Z",
                f"Flow {number}",
                str((amount / per_usd).quantize(Decimal("0.01"))),
                donor,
                types,
                place,
                "International Telecommunication Union",
                "financial",
                "Standard",
                ("pledge", "commitment", "paid")[number % 3],
                str(amount),
                currency,
                str(per_usd),
                str(900000 + number),
            ]
        )
    return out.getvalue().encode(), zero


def fts() -> int:
    """The FTS-shaped file end to end, new then again; prints the figures."""
    setup_django()
    donors = seed()
    data, zero = fts_file(donors)
    from crm.imports.engine import ImportOptions
    from crm.imports.services import batch_create, batch_run

    figures = []
    for _ in range(2):
        start = time.perf_counter()
        batch = batch_create(
            resource="fts",
            data=data,
            file_name="fts.csv",
            options=ImportOptions(create_partners=True),
        )
        result = batch_run(batch=batch, data=data)
        seconds = time.perf_counter() - start
        if result.has_errors:
            errors = [r.message for r in result.rows if r.outcome == "error"][:5]
            raise SystemExit(f"FTS file did not import: {result.file_error} {errors}")
        figures.append((seconds, result.counts))
    (new_seconds, new), (again_seconds, again) = figures
    assert new["skipped"] == zero and again["unchanged"] == FTS_ROWS - zero, again
    print(
        f"FTS  {FTS_ROWS:,} flows end to end: {FTS_ROWS / new_seconds:,.0f} rows/s "
        f"({new_seconds:.1f} s; {new['new']:,} new, {new['skipped']:,} skipped "
        f"as zero); again: {FTS_ROWS / again_seconds:,.0f} rows/s "
        f"({again_seconds:.1f} s, all unchanged); peak memory {peak_mb():,.0f} MB"
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--fts":
        sys.exit(fts())
    if len(sys.argv) == 3 and sys.argv[1] == "--engine":
        sys.exit(child(Path(sys.argv[2])))
    if len(sys.argv) == 3 and sys.argv[1] == "--background":
        sys.exit(background(Path(sys.argv[2])))
    sys.exit(main())
