"""Briefing-pack benchmark: a 10-page and a 50-page meeting pack.

Runs on its own SQLite database under /tmp (migrated and filled with
generated partners, contacts, engagements, follow-ups, pledges and payments),
so it never touches the project's database. For each pack it prints the
seconds, pages per second, peak memory, the number of queries, and the ratio
of the whole print (data, template, layout, print log) to WeasyPrint alone
laying out the same HTML, measured in the same run. Then it builds one brief
for a partner with a short and a long history and prints both query counts.

    .venv/bin/python -m bench.pdf_bench
"""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

DB_PATH = Path(os.environ.get("PDF_BENCH_DB", "/tmp/crm_pdf_bench.sqlite3"))
REPEAT = {"ten": 7, "fifty": 3}

FIRST_NAMES = [
    "Amina",
    "Jean-Luc",
    "María José",
    "Olga",
    "Wei",
    "Fatima",
    "Kwame",
    "Søren",
    "Hiroshi",
    "Ngozi",
    "Élodie",
    "Rashid",
    "Ana",
    "Dmitri",
    "Li",
]
LAST_NAMES = [
    "Al-Sayed",
    "Dubois",
    "García Márquez",
    "Ivanova",
    "Zhang",
    "Haddad",
    "Mensah",
    "Kierkegaard",
    "Tanaka",
    "Okafor",
    "Lefèvre",
    "Karimi",
    "Pereira",
    "Sokolov",
    "Wang",
]
NATIVE_NAMES = ["أمينة السيد", "王伟", "Ольга Иванова", "فاطمة حداد", "李娜"]
SUBJECTS = [
    "Bilateral meeting on the Partner2Connect pledge",
    "Call on arrears and a payment plan",
    "Briefing on the WSIS Forum sponsorship package",
    "Visit of the ambassador to the Secretariat",
    "Follow-up on the connectivity trust fund",
    "Side event at AI for Good: digital skills",
    "Letter on the contributory class for the next period",
    "E-mail exchange on the project report",
]


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{DB_PATH}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    import django
    from django.conf import settings

    django.setup()
    from django.db import connection

    if str(connection.settings_dict["NAME"]) != str(DB_PATH):
        # Django was set up before (another benchmark in the same process):
        # never fill a real database with generated partners.
        raise SystemExit(f"pdf_bench needs its own database {DB_PATH}; run it alone.")
    # Query logging (DEBUG) would slow every query down and fill its capped log;
    # CaptureQueriesContext turns it on where queries are counted.
    settings.DEBUG = False


def create_database() -> None:
    from django.core.management import call_command

    DB_PATH.unlink(missing_ok=True)
    call_command("migrate", verbosity=0, interactive=False)


def generate(rng: random.Random, *, pack_partners: int = 0) -> dict:
    """Partners with histories of several lengths; returns ids for the packs.

    ``pack_partners`` more partners with a dozen engagements each make the
    long background pack of ``bench.pack_bench`` (ids under "pack").
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.utils import timezone

    from crm.models import Country, ExchangeRate
    from partners.models import (
        Affiliation,
        Contact,
        Engagement,
        Event,
        FollowUp,
        Membership,
        Partner,
    )
    from pledges.models import Installment, Lever, Payment, Pledge
    from reports.models import Meeting

    today = timezone.localdate()
    user_model = get_user_model()
    officer = user_model.objects.create_user(
        "officer", first_name="Claire", last_name="Martin", is_staff=True
    )
    officer.user_permissions.set(
        Permission.objects.filter(
            codename__in=["print_brief", "view_confidential_engagement"]
        )
    )
    staff = [officer] + [
        user_model.objects.create_user(
            f"staff{i}", first_name=rng.choice(FIRST_NAMES), last_name="Staff"
        )
        for i in range(4)
    ]
    for currency, rate in (("CHF", "0.88"), ("EUR", "0.92"), ("JPY", "150")):
        ExchangeRate.objects.create(
            currency=currency,
            effective_date=dt.date(2015, 1, 1),
            units_per_usd=Decimal(rate),
        )
    lever = Lever.objects.order_by("position").first() or Lever.objects.create(
        code="unearmarked", name="Unearmarked voluntary contributions"
    )
    events = [
        Event.objects.create(
            name=name,
            kind=Event.Kind.FLAGSHIP,
            start_date=dt.date(year, 5, 20),
            place="Geneva",
        )
        for year in range(2019, today.year + 1)
        for name in ("WSIS Forum", "AI for Good Global Summit")
    ]

    def country(i: int) -> Country:
        return Country.objects.create(
            iso3=f"Q{chr(65 + i // 26)}{chr(65 + i % 26)}",
            iso2=f"{'QXYZ'[i // 26]}{chr(65 + i % 26)}",
            m49=900 + i,
            name_en=f"Republic of Benchland {i}",
            name_fr=f"République du Benchland {i}",
            itu_name=f"Benchland {i} (Rep. of)",
            itu_region=rng.choice(Country.Region.values),
            income_group=Country.Income.UPPER_MIDDLE,
            is_itu_member_state=True,
            is_un_member=True,
        )

    def partner(i: int, engagements: int) -> Partner:
        c = country(i)
        p = Partner.objects.create(
            name=f"Government of the Republic of Benchland {i}",
            name_fr=f"Gouvernement de la République du Benchland {i}",
            short_name=f"BEN{i}",
            category=Partner.Category.GOVERNMENT,
            country=c,
            owner=officer,
        )
        Membership.objects.create(
            partner=p,
            type=Membership.Type.MEMBER_STATE,
            contribution_class=Decimal(rng.choice(["1", "2", "5", "0.5"])),
            start_date=dt.date(1960 + i, 1, 1),
            arrears_chf=Decimal(rng.choice([0, 0, 150000, 900000])),
            arrears_as_of=today,
        )
        contacts = []
        for j in range(4):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            contact = Contact.objects.create(
                title="H.E." if j == 0 else rng.choice(["Mr", "Ms", "Dr"]),
                first_name=first,
                last_name=last if j != 1 else NATIVE_NAMES[i % len(NATIVE_NAMES)],
                job_title="Permanent Representative" if j == 0 else "Counsellor",
                email=f"c{i}.{j}@mission.example.org",
                phone="+41 22 000 00 00",
                languages="English, French",
            )
            Affiliation.objects.create(
                contact=contact,
                partner=p,
                role=Affiliation.Role.AMBASSADOR
                if j == 0
                else Affiliation.Role.COUNSELLOR,
                is_primary=j == 0,
                start_date=today - dt.timedelta(days=200 + 300 * j),
                end_date=today - dt.timedelta(days=60) if j == 3 else None,
            )
            contacts.append(contact)
        for k in range(engagements):
            e = Engagement.objects.create(
                date=today - dt.timedelta(days=9 * k + 3),
                kind=rng.choice(Engagement.Kind.values),
                subject=rng.choice(SUBJECTS),
                summary=(
                    "The mission confirmed its interest and asked for a costed "
                    "proposal with a results framework and a visibility plan. "
                )
                * rng.randint(1, 3),
                outcome="Proposal to be sent; the capital will decide in the autumn.",
                confidential=k % 7 == 3,
                event=rng.choice(events) if k % 5 == 0 else None,
            )
            e.partners.set([p])
            e.contacts.set(rng.sample(contacts, 2))
            e.staff.set(rng.sample(staff, 2))
            if k < 4:
                FollowUp.objects.create(
                    engagement=e,
                    partner=p,
                    description="Send the costed proposal and the draft agreement",
                    assignee=rng.choice(staff),
                    due_date=today + dt.timedelta(days=20 - 12 * k),
                )
        for year in range(today.year - 5, today.year + 1):
            pledge = Pledge.objects.create(
                partner=p,
                title=f"Voluntary contribution {year}",
                lever=lever,
                stage=Pledge.Stage.AGREEMENT_SIGNED,
                amount=Decimal(rng.randrange(100_000, 2_000_000, 50_000)),
                currency=rng.choice(["CHF", "EUR"]),
                pledged_on=dt.date(year, 3, 1),
                agreement_signed_on=dt.date(year, 4, 1),
            )
            Installment.objects.create(
                pledge=pledge, due_date=dt.date(year, 6, 30), amount=pledge.amount / 2
            )
            Installment.objects.create(
                pledge=pledge, due_date=dt.date(year, 12, 31), amount=pledge.amount / 2
            )
            if year < today.year:
                Payment.objects.create(
                    pledge=pledge,
                    received_on=dt.date(year, 7, 15),
                    amount=pledge.amount / 2,
                    currency=pledge.currency,
                )
        return p

    short = partner(0, engagements=3)
    long = partner(1, engagements=400)
    ten_page = [partner(2 + i, engagements=12) for i in range(2)]
    fifty_page = [partner(10 + i, engagements=12) for i in range(11)]
    pack = [partner(21 + i, engagements=12) for i in range(pack_partners)]
    starts = timezone.make_aware(dt.datetime.combine(today, dt.time(9, 30)))

    def meeting(title: str, partners: list[Partner], offset: int) -> Meeting:
        m = Meeting.objects.create(
            title=title,
            starts_at=starts + dt.timedelta(hours=offset),
            ends_at=starts + dt.timedelta(hours=offset, minutes=45),
            place="Room B, Secretariat",
            objectives="Secure the renewal of the voluntary contribution.",
            talking_points="Thank for the 2024 contribution\nRaise the arrears\n"
            "Invite to the WSIS Forum",
        )
        m.partners.set(partners)
        m.counterparts.set(
            Contact.objects.filter(affiliations__partner__in=partners)[:3]
        )
        m.staff.set(staff[:2])
        return m

    ten = [meeting("Bilateral with Benchland", ten_page, 0)]
    fifty = [
        meeting(f"Meeting {i + 1}", fifty_page[i * 4 : (i + 1) * 4], i)
        for i in range(3)
    ]
    return {
        "officer": officer,
        "short": short.pk,
        "long": long.pk,
        "ten": [m.pk for m in ten],
        "fifty": [m.pk for m in fifty],
        "pack": [p.pk for p in pack],
    }


def measure(meeting_ids: list[int], user, repeat: int) -> dict:
    """Best-of-``repeat`` timings of the whole print and of its parts.

    Whole print and WeasyPrint alone alternate, so load from other processes
    weighs on both alike; the minimum of each is the figure least disturbed.
    """
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from crm.lib.pdf import html_to_pdf
    from reports.briefs.build import brief_build
    from reports.briefs.data import BriefRequest
    from reports.briefs.printing import TEMPLATE, brief_print
    from reports.models import PrintLog

    request = BriefRequest.for_meetings(meeting_ids)
    brief_print(request=request, user=user)  # warm up: imports, fonts
    totals, alone, data, template = [], [], [], []
    for _ in range(repeat):
        started = time.perf_counter()
        brief_print(request=request, user=user)
        totals.append(time.perf_counter() - started)

        with translation.override(request.language):
            started = time.perf_counter()
            pack = brief_build(request=request, user=user)
            data.append(time.perf_counter() - started)
            started = time.perf_counter()
            html = render_to_string(TEMPLATE, {"pack": pack})
            template.append(time.perf_counter() - started)
        started = time.perf_counter()
        html_to_pdf(html)
        alone.append(time.perf_counter() - started)
    pages = PrintLog.objects.latest("printed_at").pages
    # Memory and queries in a run of their own: tracing slows Python down.
    tracemalloc.start()
    with CaptureQueriesContext(connection) as captured:
        brief_print(request=request, user=user)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    best, best_alone = min(totals), min(alone)
    return {
        "pages": pages,
        "seconds": best,
        "pages_per_second": pages / best,
        "peak_mib": peak / 2**20,
        "queries": len(captured),
        "weasyprint_seconds": best_alone,
        "ratio": best / best_alone,
        "data_seconds": min(data),
        "template_seconds": min(template),
    }


def brief_queries(partner_id: int, user) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from reports.briefs.build import brief_build
    from reports.briefs.data import BriefRequest

    with translation.override("en"), CaptureQueriesContext(connection) as captured:
        brief_build(request=BriefRequest.for_partners([partner_id]), user=user)
    return len(captured)


def main() -> None:
    setup_django()
    started = time.perf_counter()
    create_database()
    data = generate(random.Random(5))
    print(
        f"database {DB_PATH} migrated and filled in "
        f"{time.perf_counter() - started:.1f} s; best of "
        f"{REPEAT['ten']} (10 pages) and {REPEAT['fifty']} (50 pages) runs"
    )
    user = data["officer"]
    header = (
        f"{'pack':<11}{'pages':>6}{'seconds':>9}{'pages/s':>9}{'peak MiB':>10}"
        f"{'queries':>9}{'WeasyPrint s':>14}{'ratio':>7}{'data s':>8}{'HTML s':>8}"
    )
    print(header)
    for label in ("ten", "fifty"):
        r = measure(data[label], user, REPEAT[label])
        print(
            f"{label + '-page':<11}{r['pages']:>6}{r['seconds']:>9.2f}"
            f"{r['pages_per_second']:>9.1f}{r['peak_mib']:>10.1f}{r['queries']:>9}"
            f"{r['weasyprint_seconds']:>14.2f}{r['ratio']:>7.2f}"
            f"{r['data_seconds']:>8.3f}{r['template_seconds']:>8.3f}"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {rss:.0f} MiB (peak MiB above: Python heap, tracemalloc)")
    short, long = brief_queries(data["short"], user), brief_queries(data["long"], user)
    print(
        f"queries to build one partner brief: 3 engagements {short}, "
        f"400 engagements {long} (target: equal)"
    )


if __name__ == "__main__":
    main()
