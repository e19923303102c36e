"""Statement of account: figures worked by hand in CHF, EUR and THB.

Rates (tests/pledges/conftest.py, plus THB 32 per USD from 2025): CHF per EUR
0.8, per USD 0.8, per THB 0.025.

As of 2025-09-01:
- CHF 1,000 in two installments (600 due 30 Jun, 400 due 31 Dec), CHF 250 paid:
  received 250, outstanding 750, overdue 600 - 250 = 350.
- EUR 2,000 (CHF 1,600), one installment due 31 Dec, EUR 500 paid (CHF 400):
  outstanding 1,500 (CHF 1,200), nothing overdue.
- THB 1,250,000 (CHF 31,250) due 30 Jun, paid USD 39,062.49 = THB 1,249,999.68
  (CHF 31,249.99): the THB 0.32 left is worth CHF 0.008, less than a centime,
  so the pledge is settled and nothing is overdue.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from crm.lib.currencies import is_settled
from pledges.models import Installment, Pledge
from pledges.statements import Figures, statement_for
from tests.factories import (
    ExchangeRateFactory,
    InstallmentFactory,
    PartnerFactory,
    PaymentFactory,
    PledgeFactory,
)

AS_OF = dt.date(2025, 9, 1)
D = Decimal


@pytest.fixture
def account(rates):
    ExchangeRateFactory(
        currency="THB", effective_date=dt.date(2025, 1, 1), units_per_usd=D("32")
    )
    partner = PartnerFactory(name="Republic of Freedonia")
    chf = PledgeFactory(partner=partner, title="Core", amount=D("1000.00"))
    InstallmentFactory(pledge=chf, due_date=dt.date(2025, 6, 30), amount=D("600"))
    InstallmentFactory(pledge=chf, due_date=dt.date(2025, 12, 31), amount=D("400"))
    PaymentFactory(pledge=chf, amount=D("250.00"))
    eur = PledgeFactory(
        partner=partner, title="Connect", amount=D("2000.00"), currency="EUR"
    )
    InstallmentFactory(pledge=eur, due_date=dt.date(2025, 12, 31), amount=D("2000"))
    PaymentFactory(pledge=eur, amount=D("500.00"))
    thb = PledgeFactory(
        partner=partner, title="Giga", amount=D("1250000.00"), currency="THB"
    )
    InstallmentFactory(
        pledge=thb, due_date=dt.date(2025, 6, 30), amount=D("1250000.00")
    )
    PaymentFactory(pledge=thb, amount=D("39062.49"), currency="USD")
    return partner


def test_it_totals_each_currency_and_chf_by_hand(account):
    statement = statement_for(partner=account, as_of=AS_OF)

    assert statement.by_currency == (
        Figures("CHF", D("1000.00"), D("250.00"), D("750.00"), D("350.00")),
        Figures("EUR", D("2000.00"), D("500.00"), D("1500.00"), D("0.00")),
        Figures("THB", D("1250000.00"), D("1249999.68"), D("0.00"), D("0.00")),
    )
    assert statement.chf == Figures(
        "CHF", D("33850.00"), D("31899.99"), D("1950.00"), D("350.00")
    )


def test_it_lists_installments_with_what_is_paid_and_overdue(account):
    statement = statement_for(partner=account, as_of=AS_OF)
    core = next(line for line in statement.pledges if line.title == "Core")

    assert [(i.amount, i.paid, i.unpaid, i.is_overdue) for i in core.installments] == [
        (D("600.00"), D("250.00"), D("350.00"), True),
        (D("400.00"), D("0.00"), D("400.00"), False),
    ]
    giga = next(line for line in statement.pledges if line.title == "Giga")
    assert [(i.unpaid, i.is_overdue) for i in giga.installments] == [(D("0.00"), False)]


def test_a_remainder_worth_less_than_a_centime_is_not_overdue_anywhere(account):
    giga = Pledge.objects.get(title="Giga")

    assert not Pledge.objects.overdue(AS_OF).filter(pk=giga.pk).exists()
    assert not Installment.objects.overdue(AS_OF).filter(pledge=giga).exists()
    figures = Pledge.objects.with_figures(AS_OF).get(pk=giga.pk)
    assert (figures.outstanding_amount, figures.is_overdue) == (0, False)
    assert figures.next_due_on is None


def test_the_settled_rule_reads_minor_units_and_centimes():
    assert is_settled(D("0.50"), "JPY", D("0.005"))  # below one yen
    assert not is_settled(D("3.00"), "JPY", D("0.005"))  # three yen: 1.5 centimes
    assert is_settled(D("0.04"), "THB", D("0.025"))  # CHF 0.001
    assert not is_settled(D("0.01"), "CHF", D("1"))


def test_the_start_page_no_longer_lists_a_rounding_crumb(account, admin_client):
    Installment.objects.filter(pledge__title="Core").delete()

    response = admin_client.get(reverse("admin:index"))

    panel = response.content.decode().split('id="pledges-start-overdue"')[1]
    assert "Giga" not in panel.split("</div>")[0]


def test_all_partners_add_up_across_partners(account):
    other = PartnerFactory(name="Aardvark Foundation")
    PledgeFactory(partner=other, amount=D("100.00"), stage="fulfilled")
    PledgeFactory(partner=other, amount=D("999.00"), stage="proposal")

    statement = statement_for(as_of=AS_OF)

    assert [a.name for a in statement.accounts] == [
        "Aardvark Foundation",
        "Republic of Freedonia",
    ]
    assert statement.chf.pledged == D("33950.00")  # the proposal is not firm
