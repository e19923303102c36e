"""Statement of account: who owes what, by pledge and installment, CHF included.

``statement_for`` reads firm pledges (pledged, signed or fulfilled) of one
partner or of every partner, with their installments, in two queries whatever
their number, and returns frozen dataclasses the page, the XLSX and the PDF
render (templates never query).

Amounts stay in the pledge's currency; CHF figures use the stored rates: the
pledge's rate for pledged, outstanding and overdue, each payment's own rate for
received. A remainder too small to owe (``crm.lib.currencies.is_settled``) is
settled, never "overdue 0.04".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet
from django.utils import timezone

from partners.models import Partner
from pledges.models import Installment, Pledge

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def _chf(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Figures:
    """Pledged, received, outstanding and overdue in one currency."""

    currency: str
    pledged: Decimal = ZERO
    received: Decimal = ZERO
    outstanding: Decimal = ZERO
    overdue: Decimal = ZERO

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            currency=self.currency,
            pledged=self.pledged + other.pledged,
            received=self.received + other.received,
            outstanding=self.outstanding + other.outstanding,
            overdue=self.overdue + other.overdue,
        )


@dataclass(frozen=True)
class InstallmentLine:
    due_date: dt.date
    amount: Decimal
    paid: Decimal
    unpaid: Decimal
    is_overdue: bool


@dataclass(frozen=True)
class PledgeLine:
    pk: int
    partner_pk: int
    partner: str
    title: str
    reference: str
    stage: str
    pledged_on: dt.date | None
    chf_rate: Decimal
    figures: Figures
    chf: Figures
    installments: tuple[InstallmentLine, ...]

    @property
    def currency(self) -> str:
        return self.figures.currency


@dataclass(frozen=True)
class PartnerAccount:
    """One partner's pledges with totals per currency and in CHF."""

    pk: int
    name: str
    pledges: tuple[PledgeLine, ...]
    by_currency: tuple[Figures, ...]
    chf: Figures


@dataclass(frozen=True)
class Statement:
    as_of: dt.date
    partner: Partner | None
    accounts: tuple[PartnerAccount, ...]
    by_currency: tuple[Figures, ...]
    chf: Figures = field(default_factory=lambda: Figures("CHF"))

    @property
    def pledges(self) -> list[PledgeLine]:
        return [line for account in self.accounts for line in account.pledges]


def _totals(lines: list[PledgeLine]) -> tuple[tuple[Figures, ...], Figures]:
    by_currency: dict[str, Figures] = {}
    chf = Figures("CHF")
    for line in lines:
        by_currency[line.currency] = (
            by_currency.get(line.currency, Figures(line.currency)) + line.figures
        )
        chf = chf + line.chf
    return tuple(by_currency[c] for c in sorted(by_currency)), chf


def statement_pledges(partner: Partner | None = None) -> QuerySet:
    """The pledges a statement lists: firm ones (pledged, signed, fulfilled)."""
    pledges = Pledge.objects.filter(stage__in=Pledge.Stage.PAYABLE)
    if partner is not None:
        pledges = pledges.filter(partner=partner)
    return pledges


def statement_for(
    *, partner: Partner | None = None, as_of: dt.date | None = None
) -> Statement:
    """The statement of one partner (or of all partners) on ``as_of`` (today).

    Overdue means due before ``as_of`` and not covered by the payments
    recorded so far. Two queries whatever the number of pledges.
    """
    as_of = as_of or timezone.localdate()
    pledges = list(
        statement_pledges(partner)
        .with_figures(as_of)
        .select_related("partner")
        .order_by("partner__name", "pledged_on", "pk")
    )
    installments: dict[int, list[InstallmentLine]] = defaultdict(list)
    for inst in (
        Installment.objects.filter(pledge__in=[p.pk for p in pledges])
        .with_coverage(as_of)
        .order_by("pledge", "due_date", "pk")
    ):
        installments[inst.pledge_id].append(
            InstallmentLine(
                due_date=inst.due_date,
                amount=inst.amount,
                paid=Decimal(inst.paid_amount).quantize(CENT),
                unpaid=Decimal(inst.unpaid_amount).quantize(CENT),
                is_overdue=inst.is_overdue,
            )
        )
    lines_by_partner: dict[int, list[PledgeLine]] = defaultdict(list)
    names: dict[int, str] = {}
    for p in pledges:
        outstanding = Decimal(p.outstanding_amount).quantize(CENT)
        overdue = Decimal(p.overdue_amount).quantize(CENT)
        figures = Figures(
            currency=p.currency,
            pledged=p.amount,
            received=Decimal(p.received_amount).quantize(CENT),
            outstanding=outstanding,
            overdue=overdue,
        )
        chf = Figures(
            currency="CHF",
            pledged=p.amount_chf,
            received=Decimal(p.received_chf).quantize(CENT),
            outstanding=Decimal(p.outstanding_chf).quantize(CENT),
            overdue=_chf(overdue, p.chf_rate),
        )
        names[p.partner_id] = p.partner.name
        lines_by_partner[p.partner_id].append(
            PledgeLine(
                pk=p.pk,
                partner_pk=p.partner_id,
                partner=p.partner.name,
                title=p.title,
                reference=p.agreement_reference or p.external_id,
                stage=p.get_stage_display(),
                pledged_on=p.pledged_on,
                chf_rate=p.chf_rate,
                figures=figures,
                chf=chf,
                installments=tuple(installments[p.pk]),
            )
        )
    accounts = []
    for partner_pk, lines in lines_by_partner.items():
        by_currency, chf = _totals(lines)
        accounts.append(
            PartnerAccount(
                pk=partner_pk,
                name=names[partner_pk],
                pledges=tuple(lines),
                by_currency=by_currency,
                chf=chf,
            )
        )
    by_currency, chf = _totals([line for a in accounts for line in a.pledges])
    return Statement(
        as_of=as_of,
        partner=partner,
        accounts=tuple(accounts),
        by_currency=by_currency,
        chf=chf,
    )
