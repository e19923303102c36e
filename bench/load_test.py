"""Load test: simulated task-force users against the production setup.

Builds (once) a PostgreSQL database ``crm_load`` with 100,000 partners and
contacts, 1,000,000 engagements and 50,000 pledges, serves it with
``scripts/serve.sh`` (gunicorn, WhiteNoise, a worker, DEBUG off) on loopback,
then runs N simulated users for a fixed time. Each user logs in and loops
over: the partner list, a search, a partner page, logging an engagement and
printing a brief. Prints requests per second, p50/p95/p99 latency per page,
errors, and the database size. Asserts nothing.

    python -m bench.load_test              # LOAD_USERS=8 LOAD_SECONDS=60
    LOAD_REBUILD=1 python -m bench.load_test   # regenerate the data

Traffic goes to 127.0.0.1 only; every loop is bounded in time.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DB = os.environ.get("LOAD_DB", "crm_load")
SERVER = "postgres://postgres@127.0.0.1:5432"
URL = f"{SERVER}/{DB}"
HOST, PORT = "127.0.0.1", int(os.environ.get("LOAD_PORT", "8020"))
USERS = int(os.environ.get("LOAD_USERS", "8"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
PASSWORD = "load-test-password-1"
SCALE = {"partners": 100_000, "contacts": 100_000, "engagements": 1_000_000}
PLEDGES = 50_000

# The mix of what a task-force member does, by weight.
MIX = [("list", 30), ("search", 25), ("partner", 30), ("log", 10), ("brief", 5)]

GENERATE = [
    # Partners, spread over the countries and categories.
    """
    INSERT INTO partners_partner (name, name_fr, short_name, code, category,
        country_id, website, priority, notes, is_active, created_at, updated_at)
    SELECT 'Load Partner ' || g, '', 'LP' || g, 'load-' || g,
        (ARRAY['private_sector','foundation','academia','civil_society','igo',
               'development_bank'])[1 + g % 6],
        c.ids[1 + g % cardinality(c.ids)], '', 1 + g % 3, '', true, now(), now()
    FROM generate_series(1, %(partners)s) g,
         (SELECT array_agg(id ORDER BY id) ids FROM crm_country) c
    """,
    """
    INSERT INTO partners_contact (title, first_name, last_name, job_title, email,
        phone, languages, do_not_contact, notes, created_at, updated_at)
    SELECT '', 'Firstname' || g, 'Lastname' || g, 'Officer',
        'c' || g || '@load.example', '', '', false, '', now(), now()
    FROM generate_series(1, %(contacts)s) g
    """,
    """
    INSERT INTO partners_affiliation (contact_id, partner_id, role, position,
        is_primary, start_date)
    SELECT c.id, p.ids[1 + c.id % cardinality(p.ids)], 'focal_point', '', true,
        DATE '2020-01-01'
    FROM partners_contact c,
         (SELECT array_agg(id ORDER BY id) ids FROM partners_partner) p
    """,
    """
    INSERT INTO partners_engagement (date, kind, subject, summary, outcome,
        confidential, created_at, updated_at)
    SELECT CURRENT_DATE - (g % 1460),
        (ARRAY['meeting','call','email','briefing','letter','visit',
               'event'])[1 + g % 7],
        'Load engagement ' || g,
        'Discussed the partnership and the next steps for the programme.',
        'Follow-up agreed.', g % 50 = 0, now(), now()
    FROM generate_series(1, %(engagements)s) g
    """,
    """
    INSERT INTO partners_engagement_partners (engagement_id, partner_id)
    SELECT e.id, p.ids[1 + (e.id * 7919) % cardinality(p.ids)]
    FROM partners_engagement e,
         (SELECT array_agg(id ORDER BY id) ids FROM partners_partner) p
    """,
    """
    INSERT INTO partners_engagement_contacts (engagement_id, contact_id)
    SELECT e.id, c.ids[1 + (e.id * 104729) % cardinality(c.ids)]
    FROM partners_engagement e,
         (SELECT array_agg(id ORDER BY id) ids FROM partners_contact) c
    WHERE e.id % 2 = 0
    """,
    """
    INSERT INTO partners_followup (engagement_id, partner_id, description,
        assignee_id, due_date, status, created_at)
    SELECT ep.engagement_id, ep.partner_id, 'Send the note', u.id,
        CURRENT_DATE + ((ep.engagement_id % 60) - 30)::int,
        CASE WHEN ep.engagement_id % 3 = 0 THEN 'done' ELSE 'open' END, now()
    FROM partners_engagement_partners ep,
         (SELECT id FROM auth_user WHERE username = 'load') u
    WHERE ep.engagement_id % 20 = 0
    """,
    """
    UPDATE partners_followup SET done_on = due_date WHERE status = 'done'
    """,
    """
    INSERT INTO pledges_pledge (partner_id, title, lever_id, stage, probability,
        kind, earmarking, purpose, amount, currency, amount_chf, chf_rate,
        rate_date, pledged_on, external_source, external_id, agreement_reference,
        closed_reason, notes, created_at, updated_at)
    SELECT p.ids[1 + (g * 31) % cardinality(p.ids)], 'Load pledge ' || g,
        l.ids[1 + g % cardinality(l.ids)],
        (ARRAY['prospect','cultivation','proposal','pledged',
               'agreement_signed'])[1 + g % 5],
        (ARRAY[10, 25, 50, 90, 100])[1 + g % 5],
        'cash', 'earmarked', '', 10000 + g, 'CHF', 10000 + g, 1,
        CURRENT_DATE - (g % 1000), CURRENT_DATE - (g % 1000), 'load', g::text,
        '', '', '', now(), now()
    FROM generate_series(1, %(pledges)s) g,
         (SELECT array_agg(id ORDER BY id) ids FROM partners_partner) p,
         (SELECT array_agg(id ORDER BY id) ids FROM pledges_lever) l
    """,
]


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def build(env: dict[str, str]) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DB]
        ).fetchone()
        if exists and not os.environ.get("LOAD_REBUILD"):
            with psycopg.connect(URL) as db:
                ready = (
                    db.execute(
                        "SELECT to_regclass('pledges_pledge') IS NOT NULL"
                    ).fetchone()[0]
                    # Pledges come last: if they are all there, so is the rest.
                    and db.execute(
                        "SELECT count(*) FROM pledges_pledge"
                        " WHERE external_source = 'load'"
                    ).fetchone()[0]
                    >= PLEDGES
                )
            if ready:
                print(f"Using the existing database {DB} (LOAD_REBUILD=1 rebuilds).")
                return
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}"')
        conn.execute(f'CREATE DATABASE "{DB}"')
    started = time.perf_counter()
    manage("migrate", "--no-input", env=env)
    manage("seed_reference", env=env)
    manage("setup_roles", env=env)
    manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User;"
        f"User.objects.create_superuser('load', 'load@example.org', '{PASSWORD}')",
        env=env,
    )
    with psycopg.connect(URL, autocommit=True) as conn:
        for statement in GENERATE:
            step = time.perf_counter()
            # "%" is SQL's modulo here, not a placeholder.
            sql = statement.replace(" % ", " %% ")
            conn.execute(sql, {**SCALE, "pledges": PLEDGES})
            first_line = " ".join(statement.split())[:60]
            print(f"  {time.perf_counter() - step:6.1f} s  {first_line}…", flush=True)
        conn.execute("VACUUM ANALYZE")
    print(f"Generated the data in {time.perf_counter() - started:.0f} s.")


class User:
    """One simulated task-force member with its own session."""

    def __init__(self, partner_ids: list[int], rng: random.Random) -> None:
        self.cookies: dict[str, str] = {}
        self.partner_ids = partner_ids
        self.rng = rng
        self.conn = http.client.HTTPConnection(HOST, PORT, timeout=60)

    def request(self, method: str, path: str, body: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://{HOST}:{PORT}"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
            raise
        content = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, content

    def csrf(self, content: bytes) -> str:
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content)
        return match.group(1).decode() if match else ""

    def log_in(self) -> None:
        _status, page = self.request("GET", "/admin/login/")
        status, _ = self.request(
            "POST",
            "/admin/login/?next=/admin/",
            {
                "username": "load",
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.csrf(page),
                "next": "/admin/",
            },
        )
        if status != 302:
            raise RuntimeError(f"log-in failed with HTTP {status}")

    def act(self, action: str) -> int:
        partner = self.rng.choice(self.partner_ids)
        if action == "list":
            page = self.rng.randint(1, 50)  # the admin counts pages from 1
            return self.request("GET", f"/admin/partners/partner/?p={page}")[0]
        if action == "search":
            term = f"Load Partner {self.rng.randint(1, SCALE['partners'])}"
            query = urllib.parse.urlencode({"q": term})
            return self.request("GET", f"/admin/partners/partner/?{query}")[0]
        if action == "partner":
            return self.request("GET", f"/admin/partners/partner/{partner}/change/")[0]
        if action == "brief":
            return self.request(
                "GET", f"/admin/reports/printlog/print/partner/{partner}/"
            )[0]
        status, form = self.request(
            "GET", f"/admin/partners/engagement/add/?partners={partner}"
        )
        if status != 200:
            return status
        status, _ = self.request(
            "POST",
            "/admin/partners/engagement/add/",
            {
                "csrfmiddlewaretoken": self.csrf(form),
                "date": time.strftime("%Y-%m-%d"),
                "kind": "call",
                "subject": "Load test call",
                "partners": [partner],
                "followups-TOTAL_FORMS": "0",
                "followups-INITIAL_FORMS": "0",
                "followups-MIN_NUM_FORMS": "0",
                "followups-MAX_NUM_FORMS": "1000",
                "_save": "Save",
            },
        )
        return 200 if status == 302 else status


def run_users(partner_ids: list[int]) -> tuple[dict[str, list[float]], dict[str, int]]:
    timings: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS
    actions, weights = zip(*MIX, strict=True)

    def work(seed: int) -> None:
        rng = random.Random(seed)
        user = User(partner_ids, rng)
        user.log_in()
        while time.monotonic() < deadline:
            action = rng.choices(actions, weights)[0]
            started = time.perf_counter()
            try:
                status = user.act(action)
            except (OSError, http.client.HTTPException):
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                if status == 200:
                    timings[action].append(elapsed)
                else:
                    errors[f"{action} (HTTP {status})"] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(USERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 120)
    return timings, errors


def wait_for_server(process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server stopped; see bench/output/load_server.log")
        try:
            conn = http.client.HTTPConnection(HOST, PORT, timeout=2)
            conn.request("GET", "/health/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError("the server did not answer /health/ in time")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    env = {**os.environ, "DATABASE_URL": URL, "DEBUG": "False"}
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    env.update(SECURE_SSL_REDIRECT="False", SECURE_COOKIES="False")
    env.update(ALLOWED_HOSTS="127.0.0.1,localhost")
    build({**env, "DEBUG": "True"})
    with psycopg.connect(URL) as conn:
        partner_ids = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM partners_partner ORDER BY random() LIMIT 5000"
            )
        ]
        size = conn.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        ).fetchone()[0]
    log_path = ROOT / "bench" / "output" / "load_server.log"
    log_path.parent.mkdir(exist_ok=True)
    log = log_path.open("w")
    server = subprocess.Popen(
        ["bash", "scripts/serve.sh"],
        cwd=ROOT,
        env={**env, "HOST": HOST, "PORT": str(PORT), "PY": sys.executable},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_server(server)
        print(f"{USERS} users for {SECONDS:.0f} s against http://{HOST}:{PORT}/")
        started = time.perf_counter()
        timings, errors = run_users(partner_ids)
        elapsed = time.perf_counter() - started
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        log.close()

    total = sum(len(v) for v in timings.values())
    print(f"\n{'page':<10}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for action, _weight in MIX:
        values = timings.get(action, [])
        if not values:
            print(f"{action:<10}{0:>9}")
            continue
        print(
            f"{action:<10}{len(values):>9}"
            f"{statistics.median(values) * 1000:>9.0f}"
            f"{percentile(values, 0.95) * 1000:>9.0f}"
            f"{percentile(values, 0.99) * 1000:>9.0f}"
        )
    print(f"\nthroughput: {total / elapsed:.1f} requests/s over {elapsed:.0f} s")
    print(f"errors: {sum(errors.values())} {dict(errors) if errors else ''}")
    print(f"database size: {size}")


if __name__ == "__main__":
    main()
