"""Rules of one row: conversion, probability, stages, installments, payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from crm.lib.money import MissingExchangeRate
from crm.models import ExchangeRate
from pledges.models import Installment, Lever, Payment, Pledge, Target
from tests.factories import (
    InstallmentFactory,
    LeverFactory,
    PartnerFactory,
    PaymentFactory,
    PledgeFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


def new_pledge(**kwargs) -> Pledge:
    fields = {
        "partner": PartnerFactory(),
        "lever": LeverFactory(),
        "title": "Voluntary contribution",
        "stage": Pledge.Stage.PLEDGED,
        "amount": D("1000.00"),
        "currency": "EUR",
        "pledged_on": dt.date(2024, 6, 1),
    }
    fields.update(kwargs)
    return Pledge(**fields)


# The starter levers -----------------------------------------------------------


def test_the_starter_levers_are_seeded_by_a_migration():
    assert list(Lever.objects.values_list("code", flat=True)) == [
        "membership",
        "unearmarked",
        "earmarked",
        "private-sector",
        "flagship-events",
        "in-kind",
        "partner2connect",
    ]


def test_a_seeded_lever_can_be_renamed():
    lever = Lever.objects.get(code="in-kind")
    lever.name = "Secondments and in-kind support"
    lever.full_clean()
    lever.save()
    assert Lever.objects.get(code="in-kind").name == "Secondments and in-kind support"


# Conversion to CHF ------------------------------------------------------------


def test_a_pledge_takes_its_chf_equivalent_at_the_rate_of_its_pledge_date(rates):
    pledge = new_pledge(amount=D("1000.00"), currency="EUR")
    pledge.full_clean()
    pledge.save()
    # 2024 rates: 0.90 CHF and 0.80 EUR per USD, so 1.125 CHF per EUR.
    assert pledge.chf_rate == D("1.125")
    assert pledge.amount_chf == D("1125.00")
    assert pledge.rate_date == dt.date(2024, 6, 1)


def test_a_pledge_dated_after_a_rate_change_takes_the_new_rate(rates):
    pledge = new_pledge(pledged_on=dt.date(2025, 3, 1))
    pledge.full_clean()
    pledge.save()
    assert pledge.chf_rate == D("0.8")
    assert pledge.amount_chf == D("800.00")


def test_a_later_rate_correction_does_not_rewrite_a_saved_pledge(rates):
    pledge = new_pledge()
    pledge.save()
    ExchangeRate.objects.filter(currency="EUR").update(units_per_usd=D("0.5"))
    pledge = Pledge.objects.get(pk=pledge.pk)
    pledge.title = "Renamed"
    pledge.full_clean()
    pledge.save()
    assert pledge.amount_chf == D("1125.00")


def test_a_new_amount_is_converted_at_the_rate_stored_for_the_pledge_date(rates):
    pledge = new_pledge()
    pledge.save()
    ExchangeRate.objects.filter(currency="EUR").update(units_per_usd=D("0.5"))
    pledge = Pledge.objects.get(pk=pledge.pk)
    pledge.amount = D("2000.00")
    pledge.save()
    assert pledge.amount_chf == D("2250.00")


def test_moving_the_pledge_date_takes_the_rate_of_the_new_date(rates):
    pledge = new_pledge()
    pledge.save()
    pledge = Pledge.objects.get(pk=pledge.pk)
    pledge.pledged_on = dt.date(2025, 2, 1)
    pledge.full_clean()
    pledge.save()
    assert (pledge.chf_rate, pledge.amount_chf) == (D("0.8"), D("800.00"))


def test_a_chf_pledge_needs_no_exchange_rate():
    pledge = new_pledge(currency="CHF", amount=D("1234.56"))
    pledge.full_clean()
    pledge.save()
    assert (pledge.chf_rate, pledge.amount_chf) == (D(1), D("1234.56"))


def test_a_prospect_without_pledge_date_is_converted_on_the_day_it_is_entered(
    rates,
):
    pledge = new_pledge(stage=Pledge.Stage.PROSPECT, pledged_on=None)
    pledge.save()
    assert pledge.rate_date is not None
    assert pledge.chf_rate == D("0.8")  # today is after 2025-01-01


def test_a_missing_rate_is_an_error_naming_currency_and_date_on_the_form(rates):
    pledge = new_pledge(currency="SEK")
    with pytest.raises(ValidationError) as error:
        pledge.full_clean()
    message = error.value.message_dict["currency"][0]
    assert "SEK" in message
    assert "2024-06-01" in message


def test_a_pledge_dated_before_any_rate_is_refused_naming_the_date(rates):
    pledge = new_pledge(pledged_on=dt.date(2023, 12, 31))
    with pytest.raises(ValidationError, match="on or before 2023-12-31"):
        pledge.full_clean()


def test_saving_a_pledge_without_a_rate_saves_nothing(rates):
    with pytest.raises(MissingExchangeRate, match="SEK"):
        new_pledge(currency="SEK").save()
    assert not Pledge.objects.exists()


def test_an_unknown_currency_is_refused():
    pledge = new_pledge(currency="XYZ")
    with pytest.raises(ValidationError) as error:
        pledge.full_clean()
    assert "XYZ" in error.value.message_dict["currency"][0]


# Probability ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "probability"),
    [
        (Pledge.Stage.PROSPECT, 10),
        (Pledge.Stage.CULTIVATION, 25),
        (Pledge.Stage.PROPOSAL, 50),
        (Pledge.Stage.PLEDGED, 75),
        (Pledge.Stage.AGREEMENT_SIGNED, 90),
    ],
)
def test_the_probability_defaults_to_the_stage_s(stage, probability):
    pledge = PledgeFactory(
        stage=stage, agreement_signed_on=dt.date(2025, 3, 2), probability=None
    )
    assert pledge.probability == probability


def test_a_default_probability_follows_the_stage():
    pledge = PledgeFactory(stage=Pledge.Stage.PROPOSAL, pledged_on=None)
    pledge = Pledge.objects.get(pk=pledge.pk)
    pledge.stage = Pledge.Stage.PLEDGED
    pledge.pledged_on = dt.date(2025, 3, 1)
    pledge.full_clean()
    pledge.save()
    assert pledge.probability == 75


def test_a_probability_set_by_hand_stays_when_the_stage_moves():
    pledge = PledgeFactory(stage=Pledge.Stage.PROPOSAL, probability=35)
    pledge = Pledge.objects.get(pk=pledge.pk)
    pledge.stage = Pledge.Stage.PLEDGED
    pledge.full_clean()
    pledge.save()
    assert pledge.probability == 35


@pytest.mark.parametrize("stage", [Pledge.Stage.DECLINED, Pledge.Stage.WITHDRAWN])
def test_declined_and_withdrawn_pledges_count_zero(stage):
    pledge = PledgeFactory(stage=stage, probability=80, closed_reason="No budget")
    assert pledge.probability == 0


def test_a_probability_above_100_is_refused():
    pledge = new_pledge(currency="CHF", probability=120)
    with pytest.raises(ValidationError) as error:
        pledge.full_clean()
    assert "probability" in error.value.message_dict


# Stages and dates -------------------------------------------------------------


def test_a_pledged_pledge_needs_its_pledge_date():
    pledge = new_pledge(currency="CHF", pledged_on=None)
    with pytest.raises(ValidationError) as error:
        pledge.full_clean()
    assert "pledged_on" in error.value.message_dict


def test_a_signed_pledge_needs_its_signature_date():
    pledge = new_pledge(currency="CHF", stage=Pledge.Stage.AGREEMENT_SIGNED)
    with pytest.raises(ValidationError) as error:
        pledge.full_clean()
    assert "agreement_signed_on" in error.value.message_dict


@pytest.mark.parametrize("stage", [Pledge.Stage.DECLINED, Pledge.Stage.WITHDRAWN])
def test_a_declined_or_withdrawn_pledge_needs_a_reason(stage):
    pledge = new_pledge(currency="CHF", stage=stage)
    with pytest.raises(ValidationError) as error:
        pledge.full_clean()
    assert "closed_reason" in error.value.message_dict


def test_a_period_ending_before_it_starts_is_refused():
    pledge = new_pledge(
        currency="CHF",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2025, 12, 31),
    )
    with pytest.raises(ValidationError) as error:
        pledge.full_clean()
    assert "period_end" in error.value.message_dict


def test_a_cash_pledge_cannot_be_marked_fulfilled_by_hand():
    pledge = new_pledge(currency="CHF", stage=Pledge.Stage.FULFILLED)
    with pytest.raises(ValidationError, match="payments cover the amount"):
        pledge.full_clean()


def test_a_cash_pledge_whose_payments_cover_it_may_be_marked_fulfilled():
    pledge = PledgeFactory(amount=D("100.00"))
    PaymentFactory(pledge=pledge, amount=D("100.00"))
    pledge = Pledge.objects.get(pk=pledge.pk)
    pledge.stage = Pledge.Stage.FULFILLED
    pledge.full_clean()


def test_an_in_kind_pledge_can_be_marked_fulfilled_on_delivery():
    pledge = new_pledge(
        currency="CHF", kind=Pledge.Kind.IN_KIND, stage=Pledge.Stage.FULFILLED
    )
    pledge.full_clean()
    pledge.save()
    assert pledge.probability == 100


@pytest.mark.parametrize(
    ("earmarking", "code"),
    [
        (Pledge.Earmarking.UNEARMARKED, "1"),
        (Pledge.Earmarking.SOFTLY_EARMARKED, "2"),
        (Pledge.Earmarking.EARMARKED, "3"),
        (Pledge.Earmarking.TIGHTLY_EARMARKED, "4"),
    ],
)
def test_earmarking_maps_to_the_iati_earmarking_category(earmarking, code):
    assert new_pledge(earmarking=earmarking).iati_earmarking_category == code


def test_the_external_reference_is_unique_when_set():
    PledgeFactory(external_source="finance", external_id="P-1")
    duplicate = new_pledge(currency="CHF", external_source="finance", external_id="P-1")
    with pytest.raises(ValidationError, match="external source and id"):
        duplicate.full_clean()
    with pytest.raises(IntegrityError):
        duplicate.save()


def test_pledges_without_external_reference_do_not_clash():
    PledgeFactory(external_source="", external_id="")
    pledge = new_pledge(currency="CHF")
    pledge.full_clean()
    pledge.save()
    assert Pledge.objects.count() == 2


def test_the_same_external_id_may_come_from_two_sources():
    PledgeFactory(external_source="finance", external_id="P-1")
    pledge = new_pledge(currency="CHF", external_source="iati", external_id="P-1")
    pledge.full_clean()


def test_a_pledge_s_currency_cannot_change_once_payments_are_recorded():
    pledge = PledgeFactory(currency="CHF")
    PaymentFactory(pledge=pledge)
    pledge = Pledge.objects.get(pk=pledge.pk)
    pledge.currency = "EUR"
    with pytest.raises(ValidationError) as error:
        pledge.full_clean()
    assert "CHF terms" in error.value.message_dict["currency"][0]


# Installments -----------------------------------------------------------------


def test_installments_may_add_up_to_the_pledge_amount():
    pledge = PledgeFactory(amount=D("1000.00"))
    InstallmentFactory(pledge=pledge, amount=D("600.00"))
    last = Installment(pledge=pledge, due_date=dt.date(2025, 12, 1), amount=D("400"))
    last.full_clean()


def test_installments_may_not_add_up_to_more_than_the_pledge_amount():
    pledge = PledgeFactory(amount=D("1000.00"))
    InstallmentFactory(pledge=pledge, amount=D("600.00"))
    extra = Installment(
        pledge=pledge, due_date=dt.date(2025, 12, 1), amount=D("400.01")
    )
    with pytest.raises(ValidationError) as error:
        extra.full_clean()
    assert "1000.01" in error.value.message_dict["amount"][0]


def test_editing_an_installment_counts_it_once():
    pledge = PledgeFactory(amount=D("1000.00"))
    installment = InstallmentFactory(pledge=pledge, amount=D("600.00"))
    installment.amount = D("1000.00")
    installment.full_clean()


def test_the_amount_cannot_drop_below_the_installments():
    pledge = PledgeFactory(amount=D("1000.00"))
    InstallmentFactory(pledge=pledge, amount=D("800.00"))
    pledge = Pledge.objects.get(pk=pledge.pk)
    pledge.amount = D("700.00")
    with pytest.raises(ValidationError) as error:
        pledge.full_clean()
    assert "800.00" in error.value.message_dict["amount"][0]


def test_an_installment_of_zero_is_refused():
    installment = Installment(
        pledge=PledgeFactory(), due_date=dt.date(2025, 1, 1), amount=D("0")
    )
    with pytest.raises(ValidationError) as error:
        installment.full_clean()
    assert "amount" in error.value.message_dict


# Payments ---------------------------------------------------------------------


def test_a_payment_stores_chf_and_pledge_currency_equivalents_of_its_date(rates):
    pledge = PledgeFactory(currency="EUR", amount=D("1000.00"))  # 2025-03-01
    payment = Payment(
        pledge=pledge,
        amount=D("300.00"),
        currency="GBP",
        received_on=dt.date(2025, 6, 1),
    )
    payment.full_clean()
    payment.save()
    # 2025 rates: GBP 0.64, EUR 1.00, CHF 0.80 per USD.
    assert (payment.chf_rate, payment.amount_chf) == (D("1.25"), D("375.00"))
    assert payment.pledge_rate == D("1.5625")
    assert payment.amount_in_pledge_currency == D("468.75")


def test_a_payment_left_without_currency_is_in_the_pledge_s(rates):
    pledge = PledgeFactory(currency="EUR")
    payment = Payment(pledge=pledge, amount=D("10.00"), received_on=dt.date(2025, 6, 1))
    payment.full_clean()
    assert payment.currency == "EUR"
    assert payment.amount_in_pledge_currency == D("10.00")


def test_a_payment_in_a_currency_without_rate_is_refused_naming_currency_and_date(
    rates,
):
    pledge = PledgeFactory(currency="EUR")
    payment = Payment(
        pledge=pledge,
        amount=D("10.00"),
        currency="NOK",
        received_on=dt.date(2025, 6, 1),
    )
    with pytest.raises(ValidationError) as error:
        payment.full_clean()
    message = error.value.message_dict["currency"][0]
    assert "NOK" in message
    assert "2025-06-01" in message


def test_a_payment_of_zero_is_refused():
    payment = Payment(
        pledge=PledgeFactory(), amount=D("0"), received_on=dt.date(2025, 6, 1)
    )
    with pytest.raises(ValidationError) as error:
        payment.full_clean()
    assert "amount" in error.value.message_dict


def test_a_payment_cannot_name_an_installment_of_another_pledge():
    installment = InstallmentFactory()
    payment = Payment(
        pledge=PledgeFactory(),
        installment=installment,
        amount=D("10"),
        received_on=dt.date(2025, 6, 1),
    )
    with pytest.raises(ValidationError) as error:
        payment.full_clean()
    assert "installment" in error.value.message_dict


def test_a_refund_cannot_exceed_what_was_received():
    pledge = PledgeFactory()
    PaymentFactory(pledge=pledge, amount=D("100.00"))
    refund = Payment(
        pledge=pledge, amount=D("-100.01"), received_on=dt.date(2025, 7, 1)
    )
    with pytest.raises(ValidationError, match=r"more than the CHF 100\.00 received"):
        refund.full_clean()


def test_the_external_reference_of_a_payment_is_unique_when_set():
    PaymentFactory(external_source="finance", external_id="PAY-1")
    payment = Payment(
        pledge=PledgeFactory(),
        amount=D("1"),
        received_on=dt.date(2025, 6, 1),
        external_source="finance",
        external_id="PAY-1",
    )
    with pytest.raises(ValidationError, match="external source and id"):
        payment.full_clean()


# Targets ----------------------------------------------------------------------


def test_a_lever_has_one_target_a_year():
    target = TargetFactory(year=2026)
    duplicate = Target(lever=target.lever, year=2026, amount_chf=D("5.00"))
    with pytest.raises(ValidationError, match="already has a target"):
        duplicate.full_clean()


def test_there_is_one_target_across_all_levers_a_year():
    TargetFactory(lever=None, year=2026)
    duplicate = Target(lever=None, year=2026, amount_chf=D("5.00"))
    with pytest.raises(ValidationError, match="across all levers"):
        duplicate.full_clean()
    assert str(TargetFactory.build(lever=None, year=2027)) == "2027 – All levers"


def test_an_unknown_stage_is_reported_not_crashed_on():
    pledge = new_pledge(currency="CHF", stage="pending")
    with pytest.raises(ValidationError) as error:
        pledge.full_clean()
    assert "stage" in error.value.message_dict
