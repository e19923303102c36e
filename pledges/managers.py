"""Named lookups and derived values for levers, targets, pledges and payments.

Received, outstanding, overdue and weighted values are annotations built from
correlated subqueries, so one query serves a whole list and the sums stay
right (joining payments and installments together would multiply rows).

Payments cover a pledge's installments in due-date order: an installment is
covered when the payments received add up to at least the installments due
up to and including it, give or take a remainder too small to owe
(``owed_q``, the rule of ``crm.lib.currencies.is_settled``). An installment
is overdue when it is due before today, not covered, and its pledge is a firm
commitment still owed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least, Round
from django.db.models.lookups import GreaterThanOrEqual, IsNull
from django.utils import timezone

from crm.lib.currencies import CENT, WHOLE_UNIT_CURRENCIES

MONEY = DecimalField(max_digits=18, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)
# Multiplying by a non-integral constant (rather than dividing by 100) keeps
# SQLite from integer division when amounts happen to be whole numbers.
ONE_PERCENT = Value(Decimal("0.01"), output_field=MONEY)


def minor_unit_of(currency: str = "currency") -> Case:
    """The minor unit of the currency in field ``currency`` (1 JPY, 0.01 EUR)."""
    return Case(
        When(
            **{f"{currency}__in": sorted(WHOLE_UNIT_CURRENCIES)},
            then=Value(Decimal(1), output_field=MONEY),
        ),
        default=Value(CENT, output_field=MONEY),
        output_field=MONEY,
    )


def owed_q(remainder, *, currency: str = "currency", rate: str = "chf_rate") -> Q:
    """True when ``remainder`` (in the currency of field ``currency``) is owed.

    The SQL of ``crm.lib.currencies.is_settled``: at least one minor unit of
    the currency and at least a centime's worth at the stored CHF ``rate``.
    Anything less is a rounding crumb and counts as settled.
    """
    return Q(GreaterThanOrEqual(remainder, minor_unit_of(currency))) & Q(
        GreaterThanOrEqual(
            ExpressionWrapper(remainder * F(rate), output_field=MONEY),
            Value(CENT, output_field=MONEY),
        )
    )


def _installment_owed(cumulative: str, received: str) -> Q:
    return owed_q(
        F(cumulative) - F(received),
        currency="pledge__currency",
        rate="pledge__chf_rate",
    )


def _stage():
    """``Pledge.Stage``, whose groups (OPEN, COMMITTED, ...) these lookups read.

    Imported late: pledges.models imports this module for its querysets.
    """
    from pledges.models import Pledge

    return Pledge.Stage


def _today() -> dt.date:
    return timezone.localdate()


def _sum(queryset: models.QuerySet, group: str, field) -> Coalesce:
    """Coalesce(Subquery(SUM(field) grouped by ``group``), 0) for one outer row."""
    total = queryset.order_by().values(group).annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(total, output_field=MONEY), ZERO, output_field=MONEY)


def received_amount(pledge_ref: str = "pk") -> Coalesce:
    """Payments on the pledge OuterRef(pledge_ref), in the pledge's currency."""
    from pledges.models import Payment

    payments = Payment.objects.filter(pledge=OuterRef(pledge_ref))
    return _sum(payments, "pledge", "amount_in_pledge_currency")


def received_chf(pledge_ref: str = "pk") -> Coalesce:
    """Payments on the pledge OuterRef(pledge_ref), in CHF on their own dates."""
    from pledges.models import Payment

    payments = Payment.objects.filter(pledge=OuterRef(pledge_ref))
    return _sum(payments, "pledge", "amount_chf")


def scheduled_amount(pledge_ref: str = "pk", *, before: dt.date | None = None):
    """Installments of the pledge OuterRef(pledge_ref), those due before a date."""
    from pledges.models import Installment

    installments = Installment.objects.filter(pledge=OuterRef(pledge_ref))
    if before is not None:
        installments = installments.filter(due_date__lt=before)
    return _sum(installments, "pledge", "amount")


def cumulative_due() -> Coalesce:
    """For an installment row: its pledge's installments up to and including it."""
    from pledges.models import Installment

    earlier = Installment.objects.filter(pledge=OuterRef("pledge")).filter(
        Q(due_date__lt=OuterRef("due_date"))
        | Q(due_date=OuterRef("due_date"), pk__lte=OuterRef("pk"))
    )
    return _sum(earlier, "pledge", "amount")


def next_due_on(pledge_ref: str = "pk") -> Subquery:
    """Due date of the pledge's first installment the payments do not cover."""
    from pledges.models import Installment

    uncovered = (
        Installment.objects.filter(pledge=OuterRef(pledge_ref))
        .alias(cumulative=cumulative_due(), received=received_amount("pledge"))
        .filter(_installment_owed("cumulative", "received"))
        .order_by("due_date", "pk")
        .values("due_date")[:1]
    )
    return Subquery(uncovered, output_field=models.DateField())


def outstanding_amount() -> Case:
    """For a pledge row: what is still to come in, in its currency (open only)."""
    return Case(
        When(
            Q(stage__in=_stage().OPEN) & owed_q(F("amount") - received_amount()),
            then=Greatest(F("amount") - received_amount(), ZERO, output_field=MONEY),
        ),
        default=ZERO,
        output_field=MONEY,
    )


def outstanding_chf() -> Case:
    """For a pledge row: the outstanding amount at the pledge's stored CHF rate."""
    return Case(
        When(
            Q(stage__in=_stage().OPEN) & owed_q(F("amount") - received_amount()),
            then=Round(
                Greatest(
                    F("amount_chf") - received_amount() * F("chf_rate"),
                    ZERO,
                    output_field=MONEY,
                ),
                2,
                output_field=MONEY,
            ),
        ),
        default=ZERO,
        output_field=MONEY,
    )


def weighted_chf() -> Case:
    """For a pledge row: outstanding CHF x probability, for open pledges."""
    return Case(
        When(
            Q(stage__in=_stage().OPEN) & owed_q(F("amount") - received_amount()),
            then=Round(
                Greatest(
                    F("amount_chf") - received_amount() * F("chf_rate"),
                    ZERO,
                    output_field=MONEY,
                )
                * F("probability")
                * ONE_PERCENT,
                2,
                output_field=MONEY,
            ),
        ),
        default=ZERO,
        output_field=MONEY,
    )


def year_q(year, prefix: str = "") -> Q:
    """The pledges belonging to ``year``: by pledge date, else expected, else entry.

    ``year`` may be an int or an expression such as ``OuterRef("year")``.
    """
    return (
        Q(**{f"{prefix}pledged_on__year": year})
        | Q(
            **{
                f"{prefix}pledged_on__isnull": True,
                f"{prefix}expected_by__year": year,
            }
        )
        | Q(
            **{
                f"{prefix}pledged_on__isnull": True,
                f"{prefix}expected_by__isnull": True,
                f"{prefix}created_at__year": year,
            }
        )
    )


class LeverQuerySet(models.QuerySet):
    def active(self) -> LeverQuerySet:
        return self.filter(is_active=True)

    def with_year_figures(self, year: int | None = None) -> LeverQuerySet:
        """Annotate target, received and weighted pipeline (CHF) for ``year``.

        Received counts payments dated in the year; the weighted pipeline counts
        open pledges of the year (``PledgeQuerySet.for_year``).
        """
        from pledges.models import Payment, Pledge, Target

        year = year or _today().year
        target = Target.objects.filter(lever=OuterRef("pk"), year=year).values(
            "amount_chf"
        )[:1]
        payments = Payment.objects.filter(
            pledge__lever=OuterRef("pk"), received_on__year=year
        )
        pipeline = (
            Pledge.objects.open()
            .for_year(year)
            .filter(lever=OuterRef("pk"))
            .order_by()
            .values("lever")
            .annotate(total=Sum(weighted_chf()))
            .values("total")
        )
        return self.annotate(
            target_chf=Subquery(target, output_field=MONEY),
            received_chf=_sum(payments, "pledge__lever", "amount_chf"),
            weighted_pipeline_chf=Coalesce(
                Subquery(pipeline, output_field=MONEY), ZERO, output_field=MONEY
            ),
        )


class TargetQuerySet(models.QuerySet):
    def with_progress(self) -> TargetQuerySet:
        """Annotate received and weighted pipeline (CHF) for each target's year.

        A target without a lever counts every lever.
        """
        from pledges.models import Payment, Pledge

        same_lever = Q(IsNull(OuterRef("lever"), True))
        payments = Payment.objects.filter(
            same_lever | Q(pledge__lever=OuterRef("lever")),
            received_on__year=OuterRef("year"),
        )
        pledges = (
            Pledge.objects.open()
            .filter(year_q(OuterRef("year")))
            .filter(same_lever | Q(lever=OuterRef("lever")))
        )

        def one_total(queryset: models.QuerySet, field) -> Coalesce:
            total = (
                queryset.order_by()
                .annotate(group=Value(1))
                .values("group")
                .annotate(total=Sum(field))
                .values("total")
            )
            return Coalesce(Subquery(total, output_field=MONEY), ZERO)

        return self.annotate(
            received_chf=one_total(payments, "amount_chf"),
            weighted_pipeline_chf=one_total(pledges, weighted_chf()),
        )


class PledgeQuerySet(models.QuerySet):
    def pipeline(self) -> PledgeQuerySet:
        """Prospects, cultivation and proposals: not yet committed."""
        return self.filter(stage__in=_stage().PIPELINE)

    def committed(self) -> PledgeQuerySet:
        """Pledged or signed and not yet fulfilled: money owed."""
        return self.filter(stage__in=_stage().COMMITTED)

    def open(self) -> PledgeQuerySet:
        """Neither fulfilled nor declined nor withdrawn."""
        return self.filter(stage__in=_stage().OPEN)

    def for_year(self, year) -> PledgeQuerySet:
        """Pledges of ``year``: by pledge date, else expected date, else entry date."""
        return self.filter(year_q(year))

    def overdue(self, today: dt.date | None = None) -> PledgeQuerySet:
        """Committed pledges with installments due before today and not covered."""
        today = today or _today()
        return (
            self.committed()
            .alias(
                _due=scheduled_amount(before=today),
                _received=received_amount(),
            )
            .filter(owed_q(F("_due") - F("_received")))
        )

    def with_received(self) -> PledgeQuerySet:
        return self.annotate(
            received_amount=received_amount(), received_chf=received_chf()
        )

    def with_figures(self, today: dt.date | None = None) -> PledgeQuerySet:
        """Annotate every derived value a list of pledges shows.

        received_amount / received_chf, scheduled_amount, due_to_date,
        next_due_on, outstanding_amount, outstanding_chf, overdue_amount,
        is_overdue, weighted_chf.
        """
        today = today or _today()
        return (
            self.with_received()
            .annotate(
                scheduled_amount=scheduled_amount(),
                due_to_date=scheduled_amount(before=today),
                next_due_on=next_due_on(),
                outstanding_amount=outstanding_amount(),
                outstanding_chf=outstanding_chf(),
                weighted_chf=weighted_chf(),
            )
            .annotate(
                overdue_amount=Case(
                    When(
                        Q(stage__in=_stage().COMMITTED)
                        & owed_q(F("due_to_date") - F("received_amount")),
                        then=Greatest(
                            F("due_to_date") - F("received_amount"),
                            ZERO,
                            output_field=MONEY,
                        ),
                    ),
                    default=ZERO,
                    output_field=MONEY,
                ),
            )
            .annotate(
                is_overdue=Case(
                    When(overdue_amount__gt=0, then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                )
            )
        )

    def weighted_pipeline(self) -> Decimal:
        """Sum of outstanding CHF x probability over the open pledges, in CHF."""
        total = self.open().aggregate(total=Sum(weighted_chf()))["total"]
        return (total or Decimal(0)).quantize(Decimal("0.01"))


class InstallmentQuerySet(models.QuerySet):
    def with_coverage(self, today: dt.date | None = None) -> InstallmentQuerySet:
        """Annotate cumulative_due, pledge_received, paid_amount, unpaid_amount,
        is_covered and is_overdue (payments cover installments in due-date order).
        """
        today = today or _today()
        paid = Least(
            Greatest(
                F("pledge_received") - F("cumulative_due") + F("amount"),
                ZERO,
                output_field=MONEY,
            ),
            F("amount"),
            output_field=MONEY,
        )
        owed = _installment_owed("cumulative_due", "pledge_received")
        return self.annotate(
            cumulative_due=cumulative_due(),
            pledge_received=received_amount("pledge"),
        ).annotate(
            paid_amount=Case(When(owed, then=paid), default=F("amount")),
            unpaid_amount=Case(
                When(owed, then=F("amount") - paid), default=ZERO, output_field=MONEY
            ),
            is_covered=Case(
                When(owed, then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            ),
            is_overdue=Case(
                When(
                    Q(due_date__lt=today, pledge__stage__in=_stage().COMMITTED) & owed,
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )

    def uncovered(self) -> InstallmentQuerySet:
        return self.alias(
            _cumulative=cumulative_due(), _received=received_amount("pledge")
        ).filter(_installment_owed("_cumulative", "_received"))

    def owed(self) -> InstallmentQuerySet:
        """Not covered, on pledges still owed (pledged or signed)."""
        return self.filter(pledge__stage__in=_stage().COMMITTED).uncovered()

    def overdue(self, today: dt.date | None = None) -> InstallmentQuerySet:
        return self.owed().filter(due_date__lt=today or _today())

    def due_soon(
        self, days: int = 60, today: dt.date | None = None
    ) -> InstallmentQuerySet:
        today = today or _today()
        return self.owed().filter(
            due_date__gte=today, due_date__lte=today + dt.timedelta(days=days)
        )


class PaymentQuerySet(models.QuerySet):
    def refunds(self) -> PaymentQuerySet:
        return self.filter(amount__lt=0)

    def received_in(self, year: int) -> PaymentQuerySet:
        return self.filter(received_on__year=year)


def with_pledge_rollups(partners: models.QuerySet, today: dt.date | None = None):
    """Annotate a partner queryset with its pledge roll-ups, one query for a list.

    lifetime_received_chf, received_this_year_chf, last_payment_on (last
    positive payment), open_pledged_chf (outstanding CHF of pledged and signed
    pledges) and has_overdue_pledges.
    """
    from pledges.models import Payment, Pledge

    today = today or _today()
    payments = Payment.objects.filter(pledge__partner=OuterRef("pk"))
    last_payment = (
        payments.filter(amount__gt=0).order_by("-received_on").values("received_on")
    )
    open_pledged = (
        Pledge.objects.committed()
        .filter(partner=OuterRef("pk"))
        .order_by()
        .values("partner")
        .annotate(total=Sum(outstanding_chf()))
        .values("total")
    )
    return partners.annotate(
        lifetime_received_chf=_sum(payments, "pledge__partner", "amount_chf"),
        received_this_year_chf=_sum(
            payments.filter(received_on__year=today.year),
            "pledge__partner",
            "amount_chf",
        ),
        last_payment_on=Subquery(last_payment[:1], output_field=models.DateField()),
        open_pledged_chf=Coalesce(
            Subquery(open_pledged, output_field=MONEY), ZERO, output_field=MONEY
        ),
        has_overdue_pledges=Exists(
            Pledge.objects.overdue(today).filter(partner=OuterRef("pk"))
        ),
    )
