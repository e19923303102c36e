"""The pledges demo data: every stage and screen filled, deterministic, idempotent."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count

from demo.pledges import demo_partners, plan_pledges, usable_currencies
from pledges.models import Installment, Lever, Payment, Pledge, Target

TODAY = dt.date(2026, 6, 30)


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Reference and demo data, once for the module, rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        run("seed_reference")
        output = run("seed_demo", f"--today={TODAY.isoformat()}")
        yield output
        transaction.set_rollback(True)


pytestmark = pytest.mark.usefixtures("seeded", "db")


def test_the_demo_has_pledges_at_every_stage_for_many_partners(seeded):
    assert "pledges:" in seeded
    stages = set(Pledge.objects.values_list("stage", flat=True))
    assert stages == set(Pledge.Stage.values)
    assert Pledge.objects.values("partner").distinct().count() >= 40
    years = {d.year for d in Pledge.objects.dates("pledged_on", "year")}
    assert set(range(2022, TODAY.year + 1)) <= years
    assert not Pledge.objects.exclude(external_source="demo").exists()


def test_the_demo_has_multi_year_schedules_and_overdue_installments():
    spans = (
        Installment.objects.values("pledge")
        .annotate(years=Count("due_date__year", distinct=True))
        .filter(years__gte=2)
    )
    assert spans.exists()
    assert Installment.objects.overdue(TODAY).count() >= 3
    assert Pledge.objects.overdue(TODAY).count() >= 3


def test_the_demo_has_payments_in_several_currencies_and_refunds():
    currencies = set(Payment.objects.values_list("currency", flat=True))
    assert {"CHF", "USD", "EUR", "GBP"} <= currencies
    assert len(currencies) >= 8
    refunded = Pledge.objects.filter(payments__amount__lt=0).distinct()
    assert {p.stage for p in refunded} >= {Pledge.Stage.FULFILLED}
    assert any(p.stage in Pledge.Stage.COMMITTED for p in refunded)


def test_payments_in_the_demo_obey_the_rules():
    for pledge in Pledge.objects.with_received():
        if pledge.stage == Pledge.Stage.FULFILLED and pledge.kind == "cash":
            assert pledge.received_amount >= pledge.amount, pledge
        if pledge.stage in Pledge.Stage.COMMITTED:
            assert pledge.received_amount < pledge.amount, pledge
        assert pledge.installments_total() <= pledge.amount


def test_the_demo_sets_targets_for_each_active_lever_in_recent_years():
    for year in (TODAY.year - 1, TODAY.year):
        levers = set(
            Target.objects.filter(year=year).values_list("lever__code", flat=True)
        )
        assert None in levers  # the target across all levers
        active = set(Lever.objects.active().values_list("code", flat=True))
        assert len(levers & active) >= len(active) - 1


def test_a_second_run_creates_nothing():
    counts = (Pledge.objects.count(), Payment.objects.count(), Target.objects.count())
    output = run("seed_demo", f"--today={TODAY.isoformat()}")
    assert "pledges: 0 created" in output
    assert "targets: 0 created" in output
    after = (Pledge.objects.count(), Payment.objects.count(), Target.objects.count())
    assert after == counts


def test_the_plan_is_the_same_for_the_same_seed_and_day():
    def plan():
        rng = random.Random("1:pledges")
        partners = demo_partners(rng)
        levers = {lever.code: lever for lever in Lever.objects.order_by("position")}
        plans = plan_pledges(
            rng,
            TODAY,
            dt.date(2022, 1, 15),
            partners,
            levers,
            [],
            [],
            usable_currencies(dt.date(2022, 1, 15)),
        )
        return [
            (p.external_id, p.partner.code, p.amount, p.currency, p.stage)
            for p in plans
        ]

    assert plan() == plan()
