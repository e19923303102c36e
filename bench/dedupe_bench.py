"""Duplicates and merges benchmark: finding at 100,000, merging a long history.

Runs on its own PostgreSQL database (``DEDUPE_DB``, default ``crm_dedupe``),
built once with 100,000 partners and 100,000 contacts of which 5,000 of each
are planted duplicates (another spelling of the name, the same e-mail or
phone); ``DEDUPE_REBUILD=1`` rebuilds it. It prints:

- finding possible duplicates among the partners and among the contacts:
  seconds, queries, pairs found and how many of the planted ones;
- merging a partner with 10,000 engagements and 1,000 pledges into another,
  and undoing that merge: seconds and queries, beside the same at a tenth of
  the history, to show what grows with its length.

It asserts nothing.

    .venv/bin/python -m bench dedupe_bench
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgres://postgres@127.0.0.1:5432"
DB = os.environ.get("DEDUPE_DB", "crm_dedupe")
URL = f"{SERVER}/{DB}"
RECORDS = 100_000
PLANTED = 5_000
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "ba"]
SYLLABLES += ["do", "fu", "gi", "ha", "ja", "ke", "li", "mo", "nu", "pa"]
KINDS = ["Telecom", "Networks", "Foundation", "University", "Agency", "Group"]
FIRST = [
    "Amina Peter Jean Maria Li Wei Fatima Omar Anna Carlos Yuki Ivan Sara "
    "Ahmed Elena David Grace Mehmet Sofia Kofi"
][0].split()


def manage(*args: str) -> None:
    env = {**os.environ, "DATABASE_URL": URL}
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).title()


def create_database() -> bool:
    """Create the database if missing (or rebuilding); True if it needs data."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DB]
        ).fetchone()
        if exists and not os.environ.get("DEDUPE_REBUILD"):
            with psycopg.connect(URL) as db:
                ready = (
                    db.execute(
                        "SELECT to_regclass('partners_contact') IS NOT NULL"
                    ).fetchone()[0]
                    and db.execute(
                        "SELECT count(*) >= %s FROM partners_contact", [RECORDS]
                    ).fetchone()[0]
                )
            if ready:
                print(f"Using the existing database {DB} (DEDUPE_REBUILD=1 rebuilds).")
                return False
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}"')
        conn.execute(f'CREATE DATABASE "{DB}"')
    return True


def setup_django() -> None:
    fresh = create_database()
    manage("migrate", "--no-input")
    if fresh:
        manage("seed_reference")
    os.environ.update(DATABASE_URL=URL, DEBUG="True", LOG_LEVEL="WARNING")
    print(f"Load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    import django

    django.setup()
    if fresh:
        generate()


def generate() -> None:
    from crm.models import Country
    from partners.models import Affiliation, Contact, Partner

    started = time.perf_counter()
    rng = random.Random(13)
    countries = list(Country.objects.values_list("pk", flat=True))
    categories = [c for c in Partner.Category.values if c != "government"]
    partners = []
    for n in range(RECORDS - PLANTED):
        name = f"{word(rng)} {word(rng)} {rng.choice(KINDS)}"
        partners.append(
            Partner(
                name=name,
                short_name=f"X{n}",
                category=rng.choice(categories),
                country_id=rng.choice(countries),
            )
        )
    for original in partners[:PLANTED]:
        # Planted duplicates: the same name typed another way, same country.
        spelling = rng.choice(
            [original.name.upper(), f"{original.name} S.A.", original.name[:-1]]
        )
        partners.append(
            Partner(
                name=spelling,
                category=original.category,
                country_id=original.country_id,
            )
        )
    Partner.objects.bulk_create(partners, batch_size=5000)
    contacts = []
    for n in range(RECORDS - PLANTED):
        first, last = rng.choice(FIRST), word(rng) + word(rng).lower()
        contacts.append(
            Contact(
                first_name=first,
                last_name=last,
                email=f"{first}.{last}.{n}@example.org".lower(),
                phone=f"+41 22 {n:07d}",
            )
        )
    for original in contacts[:PLANTED]:
        contacts.append(
            Contact(
                first_name=original.first_name[:1] + ".",
                last_name=original.last_name,
                email=original.email.upper(),
                phone="",
            )
        )
    Contact.objects.bulk_create(contacts, batch_size=5000)
    # Each contact works at a partner; a planted duplicate at the original's.
    partner_ids = list(Partner.objects.values_list("pk", flat=True))
    works_at = [rng.choice(partner_ids) for _ in range(RECORDS - PLANTED)]
    works_at += works_at[:PLANTED]
    Affiliation.objects.bulk_create(
        [
            Affiliation(contact=contact, partner_id=partner, role="staff")
            for contact, partner in zip(contacts, works_at, strict=True)
        ],
        batch_size=5000,
    )
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"Generated the data in {time.perf_counter() - started:.0f} s.")


def measured(function, *args, **kwargs):
    from django.db import connection, reset_queries

    reset_queries()
    started, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    seconds = time.perf_counter() - started
    measured.cpu = time.process_time() - cpu
    return result, seconds, len(connection.queries)


def finding() -> None:
    from django.core.cache import cache

    from partners.duplicates import contact_duplicates, partner_duplicates
    from partners.models import Contact, Partner

    for label, model, find in (
        ("partners", Partner, partner_duplicates),
        ("contacts", Contact, contact_duplicates),
    ):
        cache.clear()
        pairs, seconds, queries = measured(find)
        cpu = measured.cpu
        _, again, _ = measured(find)
        # The generated records in order (seed_reference adds governments).
        generated = model.objects.order_by("pk")
        if model is Partner:
            generated = generated.exclude(category="government")
        ids = list(generated.values_list("pk", flat=True))
        planted = {(ids[i], ids[RECORDS - PLANTED + i]) for i in range(PLANTED)}
        found = sum((p.low, p.high) in planted for p in pairs)
        print(
            f"Finding duplicates among {model.objects.count():,} {label}: "
            f"{seconds:.1f} s ({cpu:.1f} s of this process's CPU), {queries} "
            f"queries, {len(pairs):,} pairs, "
            f"{found:,} of the {PLANTED:,} planted ones; "
            f"again with nothing changed: {again:.2f} s"
        )


def history(engagements: int, pledges: int):
    """Two partners, the second with this many engagements and pledges."""
    from partners.models import Engagement, Partner
    from pledges.models import Lever, Pledge

    survivor = Partner.objects.create(name="Bench Survivor", category="other")
    other = Partner.objects.create(name="Bench Duplicate", category="other")
    rows = Engagement.objects.bulk_create(
        [
            Engagement(date=dt.date(2020, 1, 1), subject=f"Meeting {n}")
            for n in range(engagements)
        ],
        batch_size=5000,
    )
    through = Engagement.partners.through
    through.objects.bulk_create(
        [through(engagement_id=e.pk, partner_id=other.pk) for e in rows]
        # One engagement in ten has both partners: its link is not doubled.
        + [through(engagement_id=e.pk, partner_id=survivor.pk) for e in rows[::10]],
        batch_size=5000,
    )
    lever, _ = Lever.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    new = []
    for n in range(pledges):
        pledge = Pledge(
            partner=other,
            title=f"Pledge {n}",
            lever=lever,
            stage="pledged",
            amount=Decimal("1000.00"),
            currency="CHF",
            pledged_on=dt.date(2020, 1, 1),
        )
        pledge.apply_stage_probability()
        pledge.convert_amount()
        new.append(pledge)
    Pledge.objects.bulk_create(new, batch_size=5000)
    return survivor, other


def merging() -> None:
    from django.db import transaction

    from partners.merge import merge_undo, partner_merge

    for engagements, pledges in ((1_000, 100), (10_000, 1_000)):
        with transaction.atomic():
            survivor, other = history(engagements, pledges)
            log, merge_s, merge_q = measured(
                partner_merge, survivor=survivor, others=[other]
            )
            _, undo_s, undo_q = measured(merge_undo, log=log)
            transaction.set_rollback(True)
        print(
            f"Merging a partner with {engagements:,} engagements and {pledges:,} "
            f"pledges: {merge_s:.2f} s, {merge_q} queries; undoing it: "
            f"{undo_s:.2f} s, {undo_q} queries"
        )


def main() -> None:
    setup_django()
    finding()
    merging()


if __name__ == "__main__":
    main()
