"""Workflows on pledges: entry, schedules, payments, reductions, closing, summaries.

Admin actions, imports, commands and the demo seed call these; each validates
with ``full_clean`` and raises ``ValidationError`` without saving anything.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.lib.money import CarriedRate
from crm.models import ImportBatch
from partners.models import Partner
from pledges.managers import with_pledge_rollups
from pledges.models import (
    ZERO,
    Installment,
    Lever,
    Payment,
    Pledge,
    PledgeReduction,
)


def _locked(pledge: Pledge) -> Pledge:
    """The pledge row, locked until the transaction ends (PostgreSQL).

    Payments and schedules of one pledge are then recorded one at a time, so
    totals checked against the database cannot be raced past.
    """
    list(Pledge.objects.select_for_update().filter(pk=pledge.pk).values_list("pk"))
    return pledge


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the end of shorter months."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def split_amount(amount: Decimal, count: int) -> list[Decimal]:
    """``amount`` in ``count`` parts that add up to it exactly, to the cent.

    The leftover cents go one each to the first parts: 1000.00 / 3 is
    333.34 + 333.33 + 333.33.
    """
    cents = int((amount * 100).to_integral_exact())
    base, leftover = divmod(cents, count)
    return [
        (Decimal(base + (1 if index < leftover else 0)) / 100).quantize(Decimal("0.01"))
        for index in range(count)
    ]


@transaction.atomic
def pledge_create(
    *,
    partner: Partner,
    title: str,
    lever: Lever,
    amount: Decimal,
    currency: str,
    **fields,
) -> Pledge:
    """A new pledge, its CHF equivalent taken on the pledge date."""
    pledge = Pledge(
        partner=partner,
        title=title,
        lever=lever,
        amount=amount,
        currency=currency,
        **fields,
    )
    pledge.full_clean()
    pledge.save()
    return pledge


@transaction.atomic
def pledge_update_stage(*, pledge: Pledge) -> bool:
    """Move the pledge to the stage its payments call for; True if it moved."""
    stage = pledge.stage_for_received(pledge.received_total())
    if stage == pledge.stage:
        return False
    pledge.stage = stage
    pledge.full_clean()
    pledge.save()
    return True


@transaction.atomic
def pledge_generate_schedule(
    *,
    pledge: Pledge,
    count: int,
    frequency: str,
    first_due: dt.date,
    replace: bool = False,
) -> list[Installment]:
    """Split the pledge amount into ``count`` installments, exactly to the cent.

    The first falls due on ``first_due``, the next ones every month, quarter,
    half-year or year after it. A pledge that already has installments keeps
    them unless ``replace`` is set.
    """
    _locked(pledge)
    if pledge.stage in (*Pledge.Stage.CLOSED, Pledge.Stage.FULFILLED):
        raise ValidationError(
            _("%(pledge)s is %(stage)s: it needs no schedule.")
            % {"pledge": pledge, "stage": pledge.get_stage_display().lower()}
        )
    if frequency not in Installment.MONTHS_BETWEEN:
        raise ValidationError(
            {"frequency": _("Unknown frequency %(value)r.") % {"value": frequency}}
        )
    cents = int(pledge.amount * 100)
    if not 1 <= count <= min(cents, 240):
        raise ValidationError(
            {
                "count": _("Choose between 1 and %(most)d installments for %(pledge)s.")
                % {"most": min(cents, 240), "pledge": pledge}
            }
        )
    existing = pledge.installments.count()
    if existing and not replace:
        raise ValidationError(
            _("%(pledge)s already has %(count)d installments; choose to replace them.")
            % {"pledge": pledge, "count": existing}
        )
    pledge.installments.all().delete()
    step = Installment.MONTHS_BETWEEN[frequency]
    installments = []
    for index, amount in enumerate(split_amount(pledge.amount, count)):
        installment = Installment(
            pledge=pledge,
            due_date=add_months(first_due, index * step),
            amount=amount,
        )
        # The parts add up to the amount by construction; skip the per-row sum.
        installment._total_checked_by_formset = True
        installment.full_clean()
        installments.append(installment)
    return Installment.objects.bulk_create(installments)


@transaction.atomic
def pledge_record_payment(
    *,
    pledge: Pledge,
    amount: Decimal,
    received_on: dt.date,
    currency: str = "",
    installment: Installment | None = None,
    reference: str = "",
    external_source: str = "",
    external_id: str = "",
    notes: str = "",
    carried_rate: CarriedRate | None = None,
) -> Payment:
    """Record money received (or refunded, with a negative amount) on a pledge.

    The CHF and pledge-currency equivalents use the rates on ``received_on``;
    ``carried_rate`` (a rate the imported file gives) serves where the rate
    table has none (``crm.lib.money.choose_rate``).
    Payments covering the amount make the pledge fulfilled; a refund that
    uncovers it sends it back to agreement signed (or pledged).
    """
    _locked(pledge)
    payment = Payment(
        pledge=pledge,
        amount=amount,
        received_on=received_on,
        currency=(currency or pledge.currency).upper(),
        installment=installment,
        reference=reference,
        external_source=external_source,
        external_id=external_id,
        notes=notes,
    )
    payment.carried_rate = carried_rate
    payment.full_clean()
    payment.save()
    pledge_update_stage(pledge=pledge)
    return payment


@transaction.atomic
def payment_save(*, payment: Payment) -> Payment:
    """Save a payment entered or corrected in a form, then restage its pledge(s)."""
    _locked(payment.pledge)
    previous = payment.loaded("pledge_id")
    payment.full_clean()
    payment.save()
    pledge_update_stage(pledge=payment.pledge)
    if previous and previous != payment.pledge_id:
        pledge_update_stage(pledge=Pledge.objects.get(pk=previous))
    return payment


@transaction.atomic
def payment_delete(*, payment: Payment) -> None:
    pledge = _locked(payment.pledge)
    payment.delete()
    pledge_update_stage(pledge=pledge)


def _check_open(pledge: Pledge) -> None:
    if pledge.stage not in Pledge.Stage.OPEN:
        raise ValidationError(
            _(
                "%(pledge)s is %(stage)s; only open pledges can be declined or "
                "withdrawn."
            )
            % {"pledge": pledge, "stage": pledge.get_stage_display().lower()},
            code="not_open",
        )


def _close(*, pledge: Pledge, stage: str, reason: str, on: dt.date | None) -> Pledge:
    _check_open(pledge)
    if not (reason or "").strip():
        raise ValidationError(
            {"closed_reason": _("Say why %(pledge)s is closed.") % {"pledge": pledge}}
        )
    pledge.stage = stage
    pledge.closed_reason = reason.strip()
    pledge.closed_on = on or timezone.localdate()
    pledge.full_clean()
    pledge.save()
    return pledge


@transaction.atomic
def pledge_decline(*, pledge: Pledge, reason: str, on: dt.date | None = None) -> Pledge:
    """The partner said no. Payments already recorded stay; none can follow."""
    return _close(pledge=pledge, stage=Pledge.Stage.DECLINED, reason=reason, on=on)


def pledge_reduction_check(
    *, pledge: Pledge, by: Decimal, received: Decimal, scheduled: Decimal
) -> bool:
    """Refuse a reduction the rules forbid; say whether it withdraws the pledge.

    The rules of ``pledge_reduce``, for a pledge as it stands or as an import
    plans it (an unsaved pledge with its stage, amount and currency):
    ``received`` is what was received on it in its currency, ``scheduled``
    what its installments add up to. Each refusal is a ``ValidationError``
    whose code says which rule refused: ``stage`` (not pledged, signed or
    fulfilled), ``amount`` (not above zero, or more than pledged),
    ``received`` (withdrawn with money received), ``not_open`` (withdrawn when
    no longer open) or ``installments`` (more scheduled than is left).
    """
    if pledge.stage not in Pledge.Stage.PAYABLE:
        raise ValidationError(
            _("%(pledge)s is %(stage)s: its amount cannot be reduced.")
            % {"pledge": pledge, "stage": pledge.get_stage_display().lower()},
            code="stage",
        )
    if by <= 0 or by > pledge.amount:
        raise ValidationError(
            _(
                "A reduction of %(currency)s %(by)s does not fit the "
                "%(currency)s %(amount)s pledged."
            )
            % {"currency": pledge.currency, "by": by, "amount": pledge.amount},
            code="amount",
        )
    if by == pledge.amount:
        if received:
            raise ValidationError(
                _(
                    "%(pledge)s cannot be withdrawn: %(currency)s %(received)s was "
                    "received on it; record the refund first."
                )
                % {
                    "pledge": pledge,
                    "currency": pledge.currency,
                    "received": received,
                },
                code="received",
            )
        _check_open(pledge)
        return True
    message = pledge.schedule_error(scheduled, pledge.amount - by)
    if message:
        raise ValidationError(message, code="installments")
    return False


@transaction.atomic
def pledge_reduce(
    *,
    pledge: Pledge,
    by: Decimal,
    on: dt.date,
    reason: str,
    external_source: str = "",
    external_id: str = "",
    import_batch: ImportBatch | None = None,
) -> PledgeReduction:
    """Lower the pledged amount by ``by``: the donor cut or cancelled the pledge.

    The reduction is recorded with its date, ``reason`` and, when another
    system made it, the external reference of the record that did. Cutting
    the whole amount withdraws the pledge on ``on`` with ``reason`` as the
    reason, which needs nothing received on it (record the refund first); the
    pledge then keeps its amount. A smaller amount that the payments already
    cover makes the pledge fulfilled.
    """
    _locked(pledge)
    withdraws = pledge_reduction_check(
        pledge=pledge,
        by=by,
        received=pledge.received_total() if by == pledge.amount else ZERO,
        scheduled=pledge.installments_total(),
    )
    if not (reason or "").strip():
        raise ValidationError(
            {"reason": _("Say why %(pledge)s is reduced.") % {"pledge": pledge}}
        )
    reduction = PledgeReduction(
        pledge=pledge,
        reduced_on=on,
        amount=by,
        withdraws=withdraws,
        reason=reason.strip(),
        external_source=external_source,
        external_id=external_id,
        import_batch=import_batch,
    )
    reduction.full_clean()
    if withdraws:
        _close(
            pledge=pledge,
            stage=Pledge.Stage.WITHDRAWN,
            reason=reduction.reason,
            on=on,
        )
    else:
        pledge.amount -= by
        pledge.full_clean()
        pledge.save()
        pledge_update_stage(pledge=pledge)
    reduction.save()
    return reduction


@transaction.atomic
def pledge_withdraw(
    *, pledge: Pledge, reason: str, on: dt.date | None = None
) -> Pledge:
    """The pledge was withdrawn. Payments already recorded stay; none can follow."""
    return _close(pledge=pledge, stage=Pledge.Stage.WITHDRAWN, reason=reason, on=on)


@dataclass
class CurrencyTotals:
    """Pledged, signed, received and outstanding in one currency, and in CHF."""

    currency: str
    pledged: Decimal = ZERO
    pledged_chf: Decimal = ZERO
    signed: Decimal = ZERO
    signed_chf: Decimal = ZERO
    received: Decimal = ZERO
    received_chf: Decimal = ZERO
    outstanding: Decimal = ZERO
    outstanding_chf: Decimal = ZERO


@dataclass
class PartnerPledgeSummary:
    partner: Partner
    today: dt.date
    by_currency: list[CurrencyTotals] = field(default_factory=list)
    total_chf: CurrencyTotals = field(default_factory=lambda: CurrencyTotals("CHF"))
    lifetime_received_chf: Decimal = ZERO
    received_this_year_chf: Decimal = ZERO
    last_payment_on: dt.date | None = None
    open_pledged_chf: Decimal = ZERO
    weighted_pipeline_chf: Decimal = ZERO
    committed: list[Pledge] = field(default_factory=list)
    pipeline: list[Pledge] = field(default_factory=list)
    closed_count: int = 0
    overdue_installments: list[Installment] = field(default_factory=list)
    due_soon: list[Installment] = field(default_factory=list)
    recent_payments: list[Payment] = field(default_factory=list)

    @property
    def has_pledges(self) -> bool:
        return bool(self.by_currency or self.pipeline or self.closed_count)

    @property
    def overdue_chf(self) -> Decimal:
        """What firm pledges owe of installments due before today, in CHF at
        each pledge's rate (the briefs' rule: ``overdue_amount x chf_rate``)."""
        return sum(
            (
                (pledge.overdue_amount * pledge.chf_rate).quantize(Decimal("0.01"))
                for pledge in self.committed
                if pledge.overdue_amount
            ),
            ZERO,
        )


def partner_pledge_summary(
    *, partner: Partner, today: dt.date | None = None, due_within_days: int = 90
) -> PartnerPledgeSummary:
    """What a partner pledged, signed, paid and owes, its pipeline and due dates.

    Reads only: four queries whatever the number of pledges.
    """
    today = today or timezone.localdate()
    summary = PartnerPledgeSummary(partner=partner, today=today)
    rollups = (
        with_pledge_rollups(Partner.objects.filter(pk=partner.pk), today)
        .values(
            "lifetime_received_chf",
            "received_this_year_chf",
            "last_payment_on",
            "open_pledged_chf",
        )
        .get()
    )
    summary.lifetime_received_chf = rollups["lifetime_received_chf"]
    summary.received_this_year_chf = rollups["received_this_year_chf"]
    summary.last_payment_on = rollups["last_payment_on"]
    summary.open_pledged_chf = rollups["open_pledged_chf"]

    totals: dict[str, CurrencyTotals] = defaultdict(lambda: CurrencyTotals(""))
    pledges = (
        Pledge.objects.filter(partner=partner)
        .with_figures(today)
        .select_related("lever")
        .order_by("-pledged_on", "-expected_by", "-pk")
    )
    for pledge in pledges:
        row = totals[pledge.currency]
        row.currency = pledge.currency
        row.received += pledge.received_amount
        row.received_chf += pledge.received_chf
        if pledge.stage in Pledge.Stage.PAYABLE:
            row.pledged += pledge.amount
            row.pledged_chf += pledge.amount_chf
            if pledge.agreement_signed_on:
                row.signed += pledge.amount
                row.signed_chf += pledge.amount_chf
        if pledge.stage in Pledge.Stage.COMMITTED:
            row.outstanding += pledge.outstanding_amount
            row.outstanding_chf += pledge.outstanding_chf
            summary.committed.append(pledge)
        elif pledge.stage in Pledge.Stage.PIPELINE:
            summary.pipeline.append(pledge)
            summary.weighted_pipeline_chf += pledge.weighted_chf
        elif pledge.stage in Pledge.Stage.CLOSED:
            summary.closed_count += 1
    summary.by_currency = sorted(
        (row for row in totals.values() if row.pledged or row.received),
        key=lambda row: row.currency,
    )
    total = summary.total_chf
    for row in summary.by_currency:
        total.pledged_chf += row.pledged_chf
        total.signed_chf += row.signed_chf
        total.received_chf += row.received_chf
        total.outstanding_chf += row.outstanding_chf
    summary.weighted_pipeline_chf = summary.weighted_pipeline_chf.quantize(
        Decimal("0.01")
    )

    owed = (
        Installment.objects.filter(pledge__partner=partner)
        .owed()
        .filter(due_date__lte=today + dt.timedelta(days=due_within_days))
        .with_coverage(today)
        .select_related("pledge")
        .order_by("due_date", "pk")
    )
    for installment in owed:
        if installment.due_date < today:
            summary.overdue_installments.append(installment)
        else:
            summary.due_soon.append(installment)
    summary.recent_payments = list(
        Payment.objects.filter(pledge__partner=partner)
        .select_related("pledge")
        .order_by("-received_on", "-pk")[:10]
    )
    return summary
