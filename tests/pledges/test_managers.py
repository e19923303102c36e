"""Named lookups and derived values, with expected values worked by hand.

The rates are those of tests/pledges/conftest.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from partners.models import Partner
from pledges import services
from pledges.managers import with_pledge_rollups
from pledges.models import Installment, Lever, Pledge, Target
from tests.factories import (
    InstallmentFactory,
    LeverFactory,
    PartnerFactory,
    PledgeFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal
Stage = Pledge.Stage


def pay(pledge, amount, on, currency=""):
    return services.pledge_record_payment(
        pledge=pledge, amount=D(amount), received_on=on, currency=currency
    )


def pledge_at(stage, **kwargs) -> Pledge:
    if stage in Pledge.Stage.PIPELINE:
        kwargs.setdefault("pledged_on", None)
    if stage == Stage.AGREEMENT_SIGNED:
        kwargs.setdefault("agreement_signed_on", dt.date(2025, 3, 2))
    if stage in Pledge.Stage.CLOSED:
        kwargs.setdefault("closed_reason", "No budget")
    if stage == Stage.FULFILLED:
        kwargs.setdefault("kind", Pledge.Kind.IN_KIND)
    return PledgeFactory(stage=stage, **kwargs)


def test_open_committed_and_pipeline_select_by_stage():
    pledges = {stage: pledge_at(stage) for stage in Stage.values}
    assert set(Pledge.objects.open()) == {pledges[s] for s in Pledge.Stage.OPEN}
    assert set(Pledge.objects.committed()) == {
        pledges[Stage.PLEDGED],
        pledges[Stage.AGREEMENT_SIGNED],
    }
    assert set(Pledge.objects.pipeline()) == {pledges[s] for s in Pledge.Stage.PIPELINE}


def test_for_year_goes_by_pledge_date_then_expected_date_then_entry_date():
    by_pledge_date = PledgeFactory(
        pledged_on=dt.date(2024, 5, 1), expected_by=dt.date(2025, 1, 1)
    )
    by_expected_date = pledge_at(Stage.PROSPECT, expected_by=dt.date(2025, 9, 1))
    by_entry = pledge_at(Stage.PROSPECT)
    this_year = timezone.localdate().year
    assert list(Pledge.objects.for_year(2024)) == [by_pledge_date]
    assert list(Pledge.objects.for_year(2025)) == [by_expected_date]
    assert by_entry in Pledge.objects.for_year(this_year)


def schedule(pledge, *parts):
    for due, amount in parts:
        InstallmentFactory(pledge=pledge, due_date=due, amount=D(amount))


def test_overdue_pledges_have_installments_due_before_today_not_covered():
    today = dt.date(2025, 6, 1)
    due = dt.date(2025, 5, 31)
    later = dt.date(2025, 12, 31)

    unpaid = PledgeFactory(amount=D("1000.00"))
    schedule(unpaid, (due, "500.00"), (later, "500.00"))
    part_paid = PledgeFactory(amount=D("1000.00"))
    schedule(part_paid, (due, "500.00"), (later, "500.00"))
    pay(part_paid, "300.00", dt.date(2025, 5, 1))
    paid = PledgeFactory(amount=D("1000.00"))
    schedule(paid, (due, "500.00"), (later, "500.00"))
    pay(paid, "500.00", dt.date(2025, 5, 1))
    due_today = PledgeFactory(amount=D("1000.00"))
    schedule(due_today, (today, "1000.00"))
    declined = pledge_at(Stage.DECLINED, amount=D("1000.00"))
    schedule(declined, (due, "1000.00"))
    proposal = pledge_at(Stage.PROPOSAL, amount=D("1000.00"))
    schedule(proposal, (due, "1000.00"))

    assert set(Pledge.objects.overdue(today)) == {unpaid, part_paid}


def test_the_derived_figures_of_a_pledge_in_several_currencies(rates):
    """EUR 1000 pledged 2024-06-01 at 1.125 CHF per EUR: CHF 1125.

    Installments EUR 400 due 2024-12-31 and EUR 600 due 2025-12-31. Received
    EUR 200 on 2025-06-01 (CHF 160) and GBP 64 on 2025-06-02, which is USD 100,
    EUR 100 and CHF 80. On 2025-07-01: received EUR 300 / CHF 240, EUR 100
    overdue, outstanding EUR 700 or CHF 1125 - 300 x 1.125 = 787.50, weighted
    at 80%: CHF 630.
    """
    pledge = PledgeFactory(
        currency="EUR",
        amount=D("1000.00"),
        pledged_on=dt.date(2024, 6, 1),
        probability=80,
    )
    schedule(pledge, (dt.date(2024, 12, 31), "400.00"), (dt.date(2025, 12, 31), "600"))
    pay(pledge, "200.00", dt.date(2025, 6, 1))
    pay(pledge, "64.00", dt.date(2025, 6, 2), currency="GBP")

    figures = Pledge.objects.with_figures(dt.date(2025, 7, 1)).get()

    assert figures.amount_chf == D("1125.00")
    assert figures.received_amount == D("300.00")
    assert figures.received_chf == D("240.00")
    assert figures.scheduled_amount == D("1000.00")
    assert figures.due_to_date == D("400.00")
    assert figures.next_due_on == dt.date(2024, 12, 31)
    assert figures.overdue_amount == D("100.00")
    assert figures.is_overdue
    assert figures.outstanding_amount == D("700.00")
    assert figures.outstanding_chf == D("787.50")
    assert figures.weighted_chf == D("630.00")

    pay(pledge, "100.00", dt.date(2025, 6, 20))
    figures = Pledge.objects.with_figures(dt.date(2025, 7, 1)).get()
    assert figures.next_due_on == dt.date(2025, 12, 31)
    assert figures.overdue_amount == 0
    assert not figures.is_overdue


def test_installments_are_covered_in_due_date_order():
    pledge = PledgeFactory(amount=D("1000.00"))
    schedule(
        pledge,
        (dt.date(2025, 9, 30), "300.00"),
        (dt.date(2025, 3, 31), "300.00"),
        (dt.date(2025, 12, 31), "400.00"),
    )
    pay(pledge, "450.00", dt.date(2025, 4, 15))

    rows = list(
        Installment.objects.with_coverage(dt.date(2025, 10, 1)).order_by("due_date")
    )

    assert [(r.paid_amount, r.unpaid_amount) for r in rows] == [
        (D("300.00"), D("0.00")),
        (D("150.00"), D("150.00")),
        (D("0.00"), D("400.00")),
    ]
    assert [r.is_covered for r in rows] == [True, False, False]
    assert [r.is_overdue for r in rows] == [False, True, False]
    assert list(Installment.objects.overdue(dt.date(2025, 10, 1))) == [rows[1]]
    assert set(Installment.objects.due_soon(days=100, today=dt.date(2025, 10, 1))) == {
        rows[2]
    }


def test_the_weighted_pipeline_counts_what_is_still_to_come_times_probability(
    rates,
):
    # CHF 10000 prospect at 10%: 1000.
    pledge_at(Stage.PROSPECT, amount=D("10000.00"))
    # EUR 2000 proposal, converted today at 0.8: CHF 1600 at 50%: 800.
    pledge_at(Stage.PROPOSAL, currency="EUR", amount=D("2000.00"))
    # CHF 1000 in cultivation, probability set to 33%: 330.
    pledge_at(Stage.CULTIVATION, amount=D("1000.00"), probability=33)
    # CHF 5000 signed, CHF 1000 received: 4000 at 90%: 3600.
    signed = pledge_at(Stage.AGREEMENT_SIGNED, amount=D("5000.00"))
    pay(signed, "1000.00", dt.date(2025, 4, 1))
    # EUR 1000 pledged 2024-06-01 (1.125), EUR 200 received: 900 CHF at 75%: 675.
    pledged = PledgeFactory(
        currency="EUR", amount=D("1000.00"), pledged_on=dt.date(2024, 6, 1)
    )
    pay(pledged, "200.00", dt.date(2025, 6, 1))
    # Fulfilled, declined and withdrawn pledges count nothing.
    pledge_at(Stage.FULFILLED, amount=D("7000.00"))
    pledge_at(Stage.DECLINED, amount=D("7000.00"))
    pledge_at(Stage.WITHDRAWN, amount=D("7000.00"))

    assert Pledge.objects.weighted_pipeline() == D("6405.00")
    assert Pledge.objects.pipeline().weighted_pipeline() == D("2130.00")


def test_partner_roll_ups_for_a_whole_list_in_one_query(
    rates, django_assert_num_queries
):
    """On 2025-07-01.

    A: CHF 1000 pledged 2024-03-01, paid 600 on 2024-04-01 and 400 on
       2025-02-01 (fulfilled), then refunded 100 on 2025-03-01 (pledged again,
       CHF 100 open); EUR 1000 signed 2025-01-15 (CHF 800 at 0.8), paid EUR 500
       on 2025-05-01 (CHF 400): EUR 500 or CHF 400 open.
       Lifetime 600 + 400 - 100 + 400 = 1300, this year 700, last payment
       2025-05-01 (a refund is not a payment), open pledged 100 + 400 = 500.
    B: a prospect only.
    C: JPY 1,000,000 pledged 2024-06-01 (CHF 6000 at 0.006), paid JPY 200,000
       on 2024-07-01 (CHF 1200), its next installment overdue: open pledged
       6000 - 200,000 x 0.006 = 4800.
    """
    a, b, c = PartnerFactory(), PartnerFactory(), PartnerFactory()
    chf = PledgeFactory(partner=a, amount=D("1000.00"), pledged_on=dt.date(2024, 3, 1))
    pay(chf, "600.00", dt.date(2024, 4, 1))
    pay(chf, "400.00", dt.date(2025, 2, 1))
    pay(chf, "-100.00", dt.date(2025, 3, 1))
    eur = PledgeFactory(
        partner=a,
        stage=Stage.AGREEMENT_SIGNED,
        agreement_signed_on=dt.date(2025, 1, 20),
        currency="EUR",
        amount=D("1000.00"),
        pledged_on=dt.date(2025, 1, 15),
    )
    pay(eur, "500.00", dt.date(2025, 5, 1))
    pledge_at(Stage.PROSPECT, partner=b)
    jpy = PledgeFactory(
        partner=c, currency="JPY", amount=D("1000000"), pledged_on=dt.date(2024, 6, 1)
    )
    schedule(jpy, (dt.date(2024, 7, 1), "200000"), (dt.date(2025, 6, 1), "800000"))
    pay(jpy, "200000", dt.date(2024, 7, 1))

    with django_assert_num_queries(1):
        rows = list(
            with_pledge_rollups(
                Partner.objects.filter(pk__in=[a.pk, b.pk, c.pk]),
                dt.date(2025, 7, 1),
            ).order_by("pk")
        )

    figures = [
        (
            row.lifetime_received_chf,
            row.received_this_year_chf,
            row.last_payment_on,
            row.open_pledged_chf,
            row.has_overdue_pledges,
        )
        for row in rows
    ]
    assert figures == [
        (D(1300), D(700), dt.date(2025, 5, 1), D(500), False),
        (D(0), D(0), None, D(0), False),
        (D(1200), D(0), dt.date(2024, 7, 1), D(4800), True),
    ]


def lever_data():
    """Lever L, 2025: target CHF 10000.

    Y: CHF 1000 pledged 2024-05-01, paid 1000 on 2025-01-10 (fulfilled).
    X: CHF 2000 pledged 2025-02-01, 75%, paid 500 on 2025-03-01.
    Z: CHF 4000 prospect expected 2025-10-01, 10%.
    Received in 2025: 1500. Weighted pipeline of 2025: 1500 x 75% + 400 = 1525.
    Lever M: CHF 1000 pledged 2025-04-01 at 75%, nothing paid: 750.
    """
    lever, other = LeverFactory(), LeverFactory()
    TargetFactory(lever=lever, year=2025, amount_chf=D("10000.00"))
    y = PledgeFactory(lever=lever, amount=D("1000.00"), pledged_on=dt.date(2024, 5, 1))
    pay(y, "1000.00", dt.date(2025, 1, 10))
    x = PledgeFactory(lever=lever, amount=D("2000.00"), pledged_on=dt.date(2025, 2, 1))
    pay(x, "500.00", dt.date(2025, 3, 1))
    pledge_at(
        Stage.PROSPECT,
        lever=lever,
        amount=D("4000.00"),
        expected_by=dt.date(2025, 10, 1),
    )
    PledgeFactory(lever=other, amount=D("1000.00"), pledged_on=dt.date(2025, 4, 1))
    return lever, other


def test_levers_show_target_received_and_weighted_pipeline_for_a_year():
    lever, other = lever_data()
    rows = {
        row.pk: row
        for row in Lever.objects.filter(pk__in=[lever.pk, other.pk]).with_year_figures(
            2025
        )
    }
    assert rows[lever.pk].target_chf == D("10000.00")
    assert rows[lever.pk].received_chf == D("1500.00")
    assert rows[lever.pk].weighted_pipeline_chf == D("1525.00")
    assert rows[other.pk].target_chf is None
    assert rows[other.pk].received_chf == 0
    assert rows[other.pk].weighted_pipeline_chf == D("750.00")
    last_year = Lever.objects.with_year_figures(2024).get(pk=lever.pk)
    assert (last_year.received_chf, last_year.weighted_pipeline_chf) == (0, 0)


def test_targets_show_progress_for_their_lever_or_for_all_levers():
    lever, _other = lever_data()
    overall = TargetFactory(lever=None, year=2025, amount_chf=D("50000.00"))
    rows = {row.lever_id: row for row in Target.objects.with_progress()}
    assert (rows[lever.pk].received_chf, rows[lever.pk].weighted_pipeline_chf) == (
        D("1500.00"),
        D("1525.00"),
    )
    assert rows[None].pk == overall.pk
    assert (rows[None].received_chf, rows[None].weighted_pipeline_chf) == (
        D("1500.00"),
        D("2275.00"),
    )
