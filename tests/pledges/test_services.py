"""Workflows: schedules, payments and refunds, reductions, closing, the summary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from pledges import services
from pledges.models import Installment, Payment, Pledge, PledgeReduction
from tests.factories import (
    InstallmentFactory,
    LeverFactory,
    PartnerFactory,
    PledgeFactory,
)

D = Decimal
Stage = Pledge.Stage


def pay(pledge: Pledge, amount: str, on=dt.date(2025, 6, 1), **kwargs) -> Payment:
    return services.pledge_record_payment(
        pledge=pledge, amount=D(amount), received_on=on, **kwargs
    )


def reload(pledge: Pledge) -> Pledge:
    return Pledge.objects.get(pk=pledge.pk)


# Splitting amounts ------------------------------------------------------------


def test_a_thousand_in_three_installments_adds_up_to_the_cent():
    assert services.split_amount(D("1000.00"), 3) == [
        D("333.34"),
        D("333.33"),
        D("333.33"),
    ]


def test_leftover_cents_go_one_each_to_the_first_installments():
    assert services.split_amount(D("0.05"), 3) == [D("0.02"), D("0.02"), D("0.01")]


@given(
    cents=st.integers(min_value=1, max_value=10**16),
    count=st.integers(min_value=1, max_value=240),
)
def test_any_split_adds_up_exactly_and_differs_by_a_cent_at_most(cents, count):
    amount = D(cents) / 100
    parts = services.split_amount(amount, min(count, cents))
    assert sum(parts) == amount
    assert max(parts) - min(parts) <= D("0.01")
    assert all(part.as_tuple().exponent == -2 for part in parts)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2025, 1, 31), 2, dt.date(2025, 3, 31)),
        (dt.date(2025, 11, 30), 3, dt.date(2026, 2, 28)),
        (dt.date(2025, 6, 15), 12, dt.date(2026, 6, 15)),
    ],
)
def test_months_are_added_clamped_to_the_end_of_shorter_months(start, months, expected):
    assert services.add_months(start, months) == expected


# Schedules --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_schedule_splits_the_pledge_into_installments_that_add_up():
    pledge = PledgeFactory(amount=D("1000.00"))
    installments = services.pledge_generate_schedule(
        pledge=pledge,
        count=3,
        frequency=Installment.Frequency.QUARTERLY,
        first_due=dt.date(2025, 1, 31),
    )
    assert [(i.due_date, i.amount) for i in installments] == [
        (dt.date(2025, 1, 31), D("333.34")),
        (dt.date(2025, 4, 30), D("333.33")),
        (dt.date(2025, 7, 31), D("333.33")),
    ]
    assert pledge.installments_total() == D("1000.00")


@pytest.mark.django_db
def test_a_yearly_schedule_falls_due_on_the_same_day_each_year():
    pledge = PledgeFactory(amount=D("900000.00"))
    installments = services.pledge_generate_schedule(
        pledge=pledge,
        count=3,
        frequency=Installment.Frequency.YEARLY,
        first_due=dt.date(2025, 3, 31),
    )
    assert [i.due_date.year for i in installments] == [2025, 2026, 2027]
    assert {i.amount for i in installments} == {D("300000.00")}


@pytest.mark.django_db
def test_a_schedule_keeps_existing_installments_unless_told_to_replace_them():
    pledge = PledgeFactory(amount=D("1000.00"))
    InstallmentFactory(pledge=pledge, amount=D("1000.00"))
    with pytest.raises(ValidationError, match="already has 1 installments"):
        services.pledge_generate_schedule(
            pledge=pledge, count=2, frequency="yearly", first_due=dt.date(2025, 1, 1)
        )
    assert pledge.installments.count() == 1
    services.pledge_generate_schedule(
        pledge=pledge,
        count=2,
        frequency="yearly",
        first_due=dt.date(2025, 1, 1),
        replace=True,
    )
    assert list(pledge.installments.values_list("amount", flat=True)) == [
        D("500.00"),
        D("500.00"),
    ]


@pytest.mark.django_db
def test_a_schedule_of_more_installments_than_cents_is_refused():
    pledge = PledgeFactory(amount=D("0.02"))
    with pytest.raises(ValidationError) as error:
        services.pledge_generate_schedule(
            pledge=pledge, count=3, frequency="monthly", first_due=dt.date(2025, 1, 1)
        )
    assert "count" in error.value.message_dict
    assert not pledge.installments.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("stage", [Stage.DECLINED, Stage.WITHDRAWN])
def test_a_closed_pledge_gets_no_schedule(stage):
    pledge = PledgeFactory(stage=stage, closed_reason="No budget")
    with pytest.raises(ValidationError, match="needs no schedule"):
        services.pledge_generate_schedule(
            pledge=pledge, count=2, frequency="yearly", first_due=dt.date(2025, 1, 1)
        )


@pytest.mark.django_db
def test_an_unknown_frequency_is_refused():
    with pytest.raises(ValidationError) as error:
        services.pledge_generate_schedule(
            pledge=PledgeFactory(),
            count=2,
            frequency="fortnightly",
            first_due=dt.date(2025, 1, 1),
        )
    assert "frequency" in error.value.message_dict


# Payments and the stage they call for -----------------------------------------


@pytest.mark.django_db
def test_payments_covering_the_amount_make_the_pledge_fulfilled():
    pledge = PledgeFactory(amount=D("1000.00"))
    pay(pledge, "600.00")
    assert reload(pledge).stage == Stage.PLEDGED
    pay(pledge, "400.00")
    pledge = reload(pledge)
    assert pledge.stage == Stage.FULFILLED
    assert pledge.probability == 100


@pytest.mark.django_db
def test_an_overpayment_also_fulfils_the_pledge():
    pledge = PledgeFactory(amount=D("1000.00"))
    pay(pledge, "1000.50")
    assert reload(pledge).stage == Stage.FULFILLED


@pytest.mark.django_db
def test_payments_in_another_currency_count_in_the_pledge_s(rates):
    # EUR 1000 pledged; USD 600 on 2025-06-01 is EUR 600 (EUR 1.00 per USD).
    pledge = PledgeFactory(currency="EUR", amount=D("1000.00"))
    pay(pledge, "600.00", currency="USD")
    assert reload(pledge).stage == Stage.PLEDGED
    pay(pledge, "320.00", currency="GBP")  # GBP 320 at 0.64 per USD = EUR 500
    assert reload(pledge).stage == Stage.FULFILLED


@pytest.mark.django_db
def test_a_refund_that_uncovers_a_signed_pledge_sends_it_back_to_signed():
    pledge = PledgeFactory(
        stage=Stage.AGREEMENT_SIGNED,
        agreement_signed_on=dt.date(2025, 3, 15),
        amount=D("1000.00"),
    )
    pay(pledge, "1000.00")
    assert reload(pledge).stage == Stage.FULFILLED
    refund = pay(pledge, "-250.00", on=dt.date(2025, 7, 1))
    pledge = reload(pledge)
    assert refund.is_refund
    assert pledge.stage == Stage.AGREEMENT_SIGNED
    assert pledge.probability == 90
    assert pledge.received_total() == D("750.00")


@pytest.mark.django_db
def test_a_refund_that_uncovers_a_pledge_never_signed_sends_it_back_to_pledged():
    pledge = PledgeFactory(amount=D("1000.00"))
    pay(pledge, "1000.00")
    pay(pledge, "-0.01", on=dt.date(2025, 7, 1))
    assert reload(pledge).stage == Stage.PLEDGED


@pytest.mark.django_db
def test_a_refund_of_an_overpayment_keeps_the_pledge_fulfilled():
    pledge = PledgeFactory(amount=D("1000.00"))
    pay(pledge, "1050.00")
    pay(pledge, "-50.00", on=dt.date(2025, 7, 1))
    assert reload(pledge).stage == Stage.FULFILLED


@pytest.mark.django_db
def test_a_refund_larger_than_what_was_received_is_refused():
    pledge = PledgeFactory(amount=D("1000.00"))
    pay(pledge, "100.00")
    with pytest.raises(ValidationError, match=r"more than the CHF 100\.00 received"):
        pay(pledge, "-100.01")
    assert pledge.payments.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("stage", [Stage.DECLINED, Stage.WITHDRAWN])
def test_no_payment_can_be_recorded_on_a_declined_or_withdrawn_pledge(stage):
    pledge = PledgeFactory(stage=stage, closed_reason="Budget cut")
    with pytest.raises(ValidationError) as error:
        pay(pledge, "100.00")
    assert stage in error.value.message_dict["pledge"][0]
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_no_refund_can_be_recorded_on_a_withdrawn_pledge_either():
    pledge = PledgeFactory()
    pay(pledge, "100.00")
    services.pledge_withdraw(pledge=reload(pledge), reason="Ministry changed")
    with pytest.raises(ValidationError, match="withdrawn"):
        pay(reload(pledge), "-100.00")


@pytest.mark.django_db
def test_a_prospect_takes_no_payment_until_it_is_pledged():
    pledge = PledgeFactory(stage=Stage.PROSPECT, pledged_on=None)
    with pytest.raises(ValidationError, match="move it to pledged"):
        pay(pledge, "100.00")


@pytest.mark.django_db
def test_a_payment_without_exchange_rate_saves_nothing(rates):
    pledge = PledgeFactory(currency="EUR", amount=D("100.00"))
    with pytest.raises(ValidationError) as error:
        pay(pledge, "100.00", currency="SEK", on=dt.date(2025, 5, 2))
    message = error.value.message_dict["currency"][0]
    assert "SEK" in message
    assert "2025-05-02" in message
    assert not Payment.objects.exists()
    assert reload(pledge).stage == Stage.PLEDGED


@pytest.mark.django_db
def test_deleting_the_covering_payment_reopens_the_pledge():
    pledge = PledgeFactory(amount=D("100.00"))
    payment = pay(pledge, "100.00")
    services.payment_delete(payment=payment)
    assert reload(pledge).stage == Stage.PLEDGED


@pytest.mark.django_db
def test_correcting_a_payment_converts_it_again_and_restages_the_pledge(rates):
    pledge = PledgeFactory(currency="EUR", amount=D("1000.00"))
    payment = pay(pledge, "1000.00")
    assert reload(pledge).stage == Stage.FULFILLED
    payment = Payment.objects.get(pk=payment.pk)
    payment.amount = D("900.00")
    services.payment_save(payment=payment)
    assert payment.amount_chf == D("720.00")  # EUR 900 at 0.8 CHF per EUR
    assert reload(pledge).stage == Stage.PLEDGED


@pytest.mark.django_db
def test_moving_a_payment_to_another_pledge_restages_both():
    first = PledgeFactory(amount=D("100.00"))
    second = PledgeFactory(amount=D("100.00"))
    payment = pay(first, "100.00")
    payment = Payment.objects.get(pk=payment.pk)
    payment.pledge = second
    services.payment_save(payment=payment)
    assert reload(first).stage == Stage.PLEDGED
    assert reload(second).stage == Stage.FULFILLED


# Reductions -------------------------------------------------------------------


def reduce(pledge: Pledge, by: str, on=dt.date(2025, 9, 1), **kwargs):
    kwargs.setdefault("reason", "Budget cut")
    return services.pledge_reduce(pledge=pledge, by=D(by), on=on, **kwargs)


@pytest.mark.django_db
def test_a_reduction_lowers_the_amount_and_is_recorded(rates):
    # EUR 1000 pledged 2025-03-01 at 0.8 CHF per EUR: CHF 800. Cut by EUR 250:
    # EUR 750, CHF 600 at the same rate.
    pledge = PledgeFactory(currency="EUR", amount=D("1000.00"), notes="Call in May")
    reduction = reduce(
        pledge,
        "250.00",
        reason="Parliament cut the budget",
        external_source="fts",
        external_id="401004",
    )
    pledge = reload(pledge)
    assert (pledge.amount, pledge.amount_chf) == (D("750.00"), D("600.00"))
    assert pledge.stage == Stage.PLEDGED
    assert pledge.notes == "Call in May"
    assert pledge.pledged_before_reductions() == D("1000.00")
    reduction = PledgeReduction.objects.get(pk=reduction.pk)
    assert reduction.pledge == pledge
    assert (reduction.amount, reduction.reduced_on) == (
        D("250.00"),
        dt.date(2025, 9, 1),
    )
    assert reduction.reason == "Parliament cut the budget"
    assert (reduction.external_source, reduction.external_id) == ("fts", "401004")
    assert not reduction.withdraws
    assert str(reduction) == "2025-09-01: EUR -250.00"


@pytest.mark.django_db
def test_reductions_add_up_and_the_amount_first_pledged_is_kept():
    pledge = PledgeFactory(amount=D("1000.00"))
    reduce(pledge, "100.00")
    reduce(reload(pledge), "0.01", on=dt.date(2025, 10, 1))
    pledge = reload(pledge)
    assert pledge.amount == D("899.99")
    assert pledge.pledged_before_reductions() == D("1000.00")
    assert [r.amount for r in pledge.reductions.all()] == [D("0.01"), D("100.00")]


@pytest.mark.django_db
def test_a_reduction_of_the_whole_amount_withdraws_the_pledge():
    pledge = PledgeFactory(amount=D("1000.00"))
    reduction = reduce(pledge, "1000.00", reason="Cancelled by the ministry")
    pledge = reload(pledge)
    assert pledge.stage == Stage.WITHDRAWN
    assert pledge.closed_on == dt.date(2025, 9, 1)
    assert pledge.closed_reason == "Cancelled by the ministry"
    assert pledge.probability == 0
    assert pledge.amount == D("1000.00")  # as it was when cancelled
    assert reduction.withdraws
    assert pledge.pledged_before_reductions() == D("1000.00")


@pytest.mark.django_db
def test_a_reduction_after_a_cut_withdraws_what_was_left():
    pledge = PledgeFactory(amount=D("1000.00"))
    reduce(pledge, "300.00")
    reduce(reload(pledge), "700.00", on=dt.date(2025, 10, 1))
    pledge = reload(pledge)
    assert (pledge.stage, pledge.amount) == (Stage.WITHDRAWN, D("700.00"))
    assert pledge.pledged_before_reductions() == D("1000.00")


@pytest.mark.django_db
def test_a_pledge_with_money_received_is_not_withdrawn_by_a_reduction():
    pledge = PledgeFactory(amount=D("1000.00"))
    pay(pledge, "100.00")
    with pytest.raises(ValidationError, match=r"CHF 100\.00 was received on it"):
        reduce(reload(pledge), "1000.00")
    pledge = reload(pledge)
    assert (pledge.stage, pledge.amount) == (Stage.PLEDGED, D("1000.00"))
    assert not PledgeReduction.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stage", "fields"),
    [
        (Stage.PROPOSAL, {"pledged_on": None}),
        (Stage.DECLINED, {"closed_reason": "No budget"}),
        (Stage.WITHDRAWN, {"closed_reason": "No budget"}),
    ],
)
def test_a_pledge_not_yet_or_no_longer_payable_is_not_reduced(stage, fields):
    pledge = PledgeFactory(stage=stage, amount=D("1000.00"), **fields)
    with pytest.raises(ValidationError, match="its amount cannot be reduced"):
        reduce(pledge, "100.00")
    assert reload(pledge).amount == D("1000.00")
    assert not PledgeReduction.objects.exists()


@pytest.mark.django_db
def test_a_reduction_the_payments_cover_fulfils_the_pledge():
    pledge = PledgeFactory(amount=D("1000.00"))
    pay(pledge, "800.00")
    assert reload(pledge).stage == Stage.PLEDGED
    reduce(reload(pledge), "200.00")
    pledge = reload(pledge)
    assert (pledge.amount, pledge.stage) == (D("800.00"), Stage.FULFILLED)
    assert pledge.probability == 100


@pytest.mark.django_db
@pytest.mark.parametrize("by", ["0.00", "-5.00", "1000.01"])
def test_a_reduction_must_fit_the_amount(by):
    pledge = PledgeFactory(amount=D("1000.00"))
    with pytest.raises(ValidationError, match=r"does not fit the CHF 1000\.00 pledged"):
        reduce(pledge, by)
    assert not PledgeReduction.objects.exists()


@pytest.mark.django_db
def test_a_reduction_needs_a_reason():
    pledge = PledgeFactory(amount=D("1000.00"))
    with pytest.raises(ValidationError) as error:
        reduce(pledge, "100.00", reason="  ")
    assert "reason" in error.value.message_dict
    assert reload(pledge).amount == D("1000.00")


@pytest.mark.django_db
def test_a_reduction_below_the_installments_is_refused():
    pledge = PledgeFactory(amount=D("1000.00"))
    services.pledge_generate_schedule(
        pledge=pledge, count=2, frequency="yearly", first_due=dt.date(2025, 6, 30)
    )
    with pytest.raises(ValidationError, match=r"more than the amount of CHF 900\.00"):
        reduce(reload(pledge), "100.00")
    assert reload(pledge).amount == D("1000.00")
    assert not PledgeReduction.objects.exists()


@pytest.mark.django_db
def test_the_same_external_reduction_is_not_recorded_twice():
    pledge = PledgeFactory(amount=D("1000.00"))
    reduce(pledge, "100.00", external_source="fts", external_id="401004")
    with pytest.raises(ValidationError, match="already carries this external"):
        reduce(reload(pledge), "100.00", external_source="fts", external_id="401004")
    assert reload(pledge).amount == D("900.00")


# Creating, declining, withdrawing ---------------------------------------------


@pytest.mark.django_db
def test_a_pledge_is_created_with_its_chf_equivalent(rates):
    pledge = services.pledge_create(
        partner=PartnerFactory(),
        title="Trust fund",
        lever=LeverFactory(),
        amount=D("2000.00"),
        currency="GBP",
        stage=Stage.PLEDGED,
        pledged_on=dt.date(2024, 9, 1),
    )
    assert pledge.amount_chf == D("2400.00")  # 1.2 CHF per GBP in 2024


@pytest.mark.django_db
def test_creating_a_pledge_without_rate_saves_nothing(rates):
    with pytest.raises(ValidationError, match="No exchange rate for SEK"):
        services.pledge_create(
            partner=PartnerFactory(),
            title="Trust fund",
            lever=LeverFactory(),
            amount=D("2000.00"),
            currency="SEK",
            stage=Stage.PLEDGED,
            pledged_on=dt.date(2024, 9, 1),
        )
    assert not Pledge.objects.exists()


@pytest.mark.django_db
def test_declining_keeps_the_reason_and_the_date():
    pledge = PledgeFactory(stage=Stage.PROPOSAL, pledged_on=None)
    services.pledge_decline(
        pledge=pledge, reason="Budget cut for 2026", on=dt.date(2025, 9, 1)
    )
    pledge = reload(pledge)
    assert pledge.stage == Stage.DECLINED
    assert pledge.closed_reason == "Budget cut for 2026"
    assert pledge.closed_on == dt.date(2025, 9, 1)
    assert pledge.probability == 0


@pytest.mark.django_db
def test_withdrawing_keeps_the_payments_already_received():
    pledge = PledgeFactory(amount=D("1000.00"))
    pay(pledge, "250.00")
    services.pledge_withdraw(pledge=reload(pledge), reason="Government change")
    pledge = reload(pledge)
    assert pledge.stage == Stage.WITHDRAWN
    assert pledge.received_total() == D("250.00")


@pytest.mark.django_db
def test_a_pledge_cannot_be_declined_without_a_reason():
    pledge = PledgeFactory()
    with pytest.raises(ValidationError) as error:
        services.pledge_decline(pledge=pledge, reason="  ")
    assert "closed_reason" in error.value.message_dict
    assert reload(pledge).stage == Stage.PLEDGED


@pytest.mark.django_db
def test_a_fulfilled_pledge_cannot_be_withdrawn():
    pledge = PledgeFactory(amount=D("100.00"))
    pay(pledge, "100.00")
    with pytest.raises(ValidationError, match="only open pledges"):
        services.pledge_withdraw(pledge=reload(pledge), reason="Too late")


# The partner summary ----------------------------------------------------------


@pytest.mark.django_db
def test_the_partner_summary_adds_up_each_currency_and_chf(rates):
    """Worked by hand with the 2025 rates (CHF 0.8 per EUR, 0.8 per USD).

    EUR 1000 signed 2025-03-01 (CHF 800): schedule 500 on 2025-04-30 and 500 on
    2025-10-30; paid EUR 400 on 2025-05-05 (CHF 320) and USD 100 on 2025-05-06
    (EUR 100, CHF 80). Outstanding EUR 500, CHF 400; the first installment is
    covered, the second overdue on 2025-11-15.
    CHF 300 pledged 2025-02-01, fulfilled by CHF 350 on 2025-02-10 then a
    refund of CHF 50 on 2025-02-20: received CHF 300.
    A CHF 10000 proposal at 50%: weighted CHF 5000.
    A declined prospect counts in no total.
    """
    partner = PartnerFactory()
    signed = PledgeFactory(
        partner=partner,
        stage=Stage.AGREEMENT_SIGNED,
        agreement_signed_on=dt.date(2025, 3, 10),
        currency="EUR",
        amount=D("1000.00"),
    )
    services.pledge_generate_schedule(
        pledge=signed, count=2, frequency="half_yearly", first_due=dt.date(2025, 4, 30)
    )
    pay(signed, "400.00", on=dt.date(2025, 5, 5))
    pay(signed, "100.00", on=dt.date(2025, 5, 6), currency="USD")
    small = PledgeFactory(
        partner=partner, amount=D("300.00"), pledged_on=dt.date(2025, 2, 1)
    )
    pay(small, "350.00", on=dt.date(2025, 2, 10))
    pay(small, "-50.00", on=dt.date(2025, 2, 20))
    PledgeFactory(
        partner=partner, stage=Stage.PROPOSAL, pledged_on=None, amount=D("10000.00")
    )
    PledgeFactory(
        partner=partner,
        stage=Stage.DECLINED,
        pledged_on=None,
        closed_reason="No",
        amount=D("99999.00"),
    )

    summary = services.partner_pledge_summary(
        partner=partner, today=dt.date(2025, 11, 15)
    )

    chf, eur = summary.by_currency
    assert (eur.currency, eur.pledged, eur.pledged_chf) == ("EUR", D(1000), D(800))
    assert (eur.signed, eur.signed_chf) == (D(1000), D(800))
    assert (eur.received, eur.received_chf) == (D(500), D(400))
    assert (eur.outstanding, eur.outstanding_chf) == (D(500), D(400))
    assert (chf.pledged, chf.signed, chf.received) == (D(300), D(0), D(300))
    assert (chf.outstanding, chf.received_chf) == (D(0), D(300))
    assert summary.total_chf.pledged_chf == D(1100)
    assert summary.total_chf.received_chf == D(700)
    assert summary.total_chf.outstanding_chf == D(400)
    assert summary.lifetime_received_chf == D(700)
    assert summary.received_this_year_chf == D(700)
    assert summary.last_payment_on == dt.date(2025, 5, 6)
    assert summary.open_pledged_chf == D(400)
    assert summary.weighted_pipeline_chf == D("5000.00")
    assert [p.title for p in summary.committed] == [signed.title]
    assert [p.stage for p in summary.pipeline] == [Stage.PROPOSAL]
    assert summary.closed_count == 1
    assert [i.due_date for i in summary.overdue_installments] == [dt.date(2025, 10, 30)]
    assert summary.overdue_installments[0].unpaid_amount == D(500)
    assert summary.due_soon == []
    assert len(summary.recent_payments) == 4


@pytest.mark.django_db
def test_the_summary_of_a_partner_without_pledges_is_empty(
    django_assert_max_num_queries,
):
    partner = PartnerFactory()
    with django_assert_max_num_queries(4):
        summary = services.partner_pledge_summary(partner=partner)
    assert not summary.has_pledges
    assert summary.lifetime_received_chf == 0
