"""Decision 5 levers and targets, pledges, their schedules, reductions and money.

Amounts keep their original currency. The CHF equivalent of a pledge uses the
rate in force on the pledge date, that of a payment the rate on the payment
date; both rates are stored so that later rate changes never rewrite history.
Received, outstanding, overdue and weighted values are derived from payments
and installments (see ``pledges.managers``), never typed in.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import classproperty
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.lib.currencies import validate_currency
from crm.lib.formats import format_money
from crm.lib.money import (
    CHF,
    CarriedRate,
    MissingExchangeRate,
    choose_rate,
    quantize,
)
from crm.lib.names import localized_name
from crm.models import LoadedValuesMixin, import_batch_field
from partners.models import Event, Partner
from pledges.managers import (
    InstallmentQuerySet,
    LeverQuerySet,
    PaymentQuerySet,
    PledgeQuerySet,
    TargetQuerySet,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def total(queryset: models.QuerySet, field: str) -> Decimal:
    """Sum of a money field, to the cent (SQLite sums come back as floats)."""
    value = queryset.aggregate(total=Sum(field))["total"]
    return (value or ZERO).quantize(CENT)


def money_field(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=18, decimal_places=2, **kwargs)


def rate_field(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=30, decimal_places=16, **kwargs)


def rate_source_field() -> models.CharField:
    return models.CharField(
        _("rate source"),
        max_length=255,
        blank=True,
        editable=False,
        help_text=_("Which exchange rates gave the CHF equivalent, and from where."),
    )


def currency_field(verbose_name=None, **kwargs) -> models.CharField:
    return models.CharField(
        verbose_name or _("currency"),
        max_length=3,
        validators=[validate_currency],
        **kwargs,
    )


def external_reference_constraint(model_name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["external_source", "external_id"],
        condition=~Q(external_id=""),
        name=f"unique_{model_name}_external_reference",
        violation_error_message=_(
            "Another record already carries this external source and id."
        ),
    )


class Lever(models.Model):
    """A resource-mobilization lever of the Decision 5 strategy."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Order in lists and reports.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = LeverQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("lever")
        verbose_name_plural = _("levers")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the reader's language: French for a French reader, if any."""
        return localized_name(self.name, self.name_fr)


class Target(models.Model):
    """What the strategy aims to raise in a year, for one lever or for all."""

    lever = models.ForeignKey(
        Lever,
        verbose_name=_("lever"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
        help_text=_("Leave empty for the target across all levers."),
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    amount_chf = money_field(_("target (CHF)"), validators=[MinValueValidator(CENT)])
    notes = models.TextField(_("notes"), blank=True)

    objects = TargetQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "lever__position", "lever__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["lever", "year"],
                condition=Q(lever__isnull=False),
                name="unique_target_per_lever_and_year",
                violation_error_message=_("This lever already has a target that year."),
            ),
            models.UniqueConstraint(
                fields=["year"],
                condition=Q(lever__isnull=True),
                name="unique_overall_target_per_year",
                violation_error_message=_(
                    "There is already a target across all levers for that year."
                ),
            ),
            models.CheckConstraint(
                condition=Q(amount_chf__gt=0), name="target_amount_positive"
            ),
        ]
        verbose_name = _("target")
        verbose_name_plural = _("targets")

    def __str__(self) -> str:
        lever = self.lever.name if self.lever_id else _("All levers")
        return f"{self.year} – {lever}"


class Pledge(LoadedValuesMixin, models.Model):
    class Stage(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        CULTIVATION = "cultivation", _("Cultivation")
        PROPOSAL = "proposal", _("Proposal")
        PLEDGED = "pledged", _("Pledged")
        AGREEMENT_SIGNED = "agreement_signed", _("Agreement signed")
        FULFILLED = "fulfilled", _("Fulfilled")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

        # The stage groups every rule reads (managers, services, reports,
        # imports). Class properties, because an enum body cannot refer to its
        # own members and a plain tuple would become a member.
        @classproperty
        def PIPELINE(cls) -> tuple[Pledge.Stage, ...]:
            """Not yet committed: prospects, cultivation and proposals."""
            return (cls.PROSPECT, cls.CULTIVATION, cls.PROPOSAL)

        @classproperty
        def COMMITTED(cls) -> tuple[Pledge.Stage, ...]:
            """Firm commitments still owed: pledged or signed, not fulfilled."""
            return (cls.PLEDGED, cls.AGREEMENT_SIGNED)

        @classproperty
        def OPEN(cls) -> tuple[Pledge.Stage, ...]:
            """Neither fulfilled nor declined nor withdrawn."""
            return (*cls.PIPELINE, *cls.COMMITTED)

        @classproperty
        def CLOSED(cls) -> tuple[Pledge.Stage, ...]:
            """Declined or withdrawn: nothing more will come."""
            return (cls.DECLINED, cls.WITHDRAWN)

        @classproperty
        def PAYABLE(cls) -> tuple[Pledge.Stage, ...]:
            """Stages at which payments may be recorded."""
            return (*cls.COMMITTED, cls.FULFILLED)

    class Kind(models.TextChoices):
        CASH = "cash", _("Cash")
        IN_KIND = "in_kind", _("In kind")

    class Earmarking(models.TextChoices):
        UNEARMARKED = "unearmarked", _("Unearmarked")
        SOFTLY_EARMARKED = "softly_earmarked", _("Softly earmarked")
        EARMARKED = "earmarked", _("Earmarked")
        TIGHTLY_EARMARKED = "tightly_earmarked", _("Tightly earmarked")

    DEFAULT_PROBABILITY = {
        Stage.PROSPECT: 10,
        Stage.CULTIVATION: 25,
        Stage.PROPOSAL: 50,
        Stage.PLEDGED: 75,
        Stage.AGREEMENT_SIGNED: 90,
        Stage.FULFILLED: 100,
        Stage.DECLINED: 0,
        Stage.WITHDRAWN: 0,
    }

    # IATI EarmarkingCategory codes (crm/data/iati_earmarking_category.csv).
    IATI_EARMARKING = {
        Earmarking.UNEARMARKED: "1",
        Earmarking.SOFTLY_EARMARKED: "2",
        Earmarking.EARMARKED: "3",
        Earmarking.TIGHTLY_EARMARKED: "4",
    }

    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="pledges",
    )
    title = models.CharField(_("title"), max_length=200)
    lever = models.ForeignKey(
        Lever,
        verbose_name=_("lever"),
        on_delete=models.PROTECT,
        related_name="pledges",
    )
    stage = models.CharField(
        _("stage"),
        max_length=20,
        choices=Stage.choices,
        default=Stage.PROSPECT,
        db_index=True,
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"),
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_(
            "Leave empty for the stage's default. Declined and withdrawn pledges "
            "count 0%, fulfilled ones 100%."
        ),
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.CASH
    )
    earmarking = models.CharField(
        _("earmarking"),
        max_length=20,
        choices=Earmarking.choices,
        default=Earmarking.UNEARMARKED,
    )
    purpose = models.TextField(_("purpose"), blank=True)
    amount = money_field(_("amount"), validators=[MinValueValidator(CENT)])
    currency = currency_field(default="CHF")
    amount_chf = money_field(_("amount (CHF)"), blank=True, editable=False)
    chf_rate = rate_field(
        _("CHF per unit"),
        blank=True,
        editable=False,
        help_text=_("The rate used for the CHF equivalent."),
    )
    rate_date = models.DateField(
        _("rate date"),
        blank=True,
        editable=False,
        help_text=_("The date whose exchange rate gave the CHF equivalent."),
    )
    rate_source = rate_source_field()
    pledged_on = models.DateField(_("pledged on"), null=True, blank=True)
    agreement_signed_on = models.DateField(
        _("agreement signed on"), null=True, blank=True
    )
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period until"), null=True, blank=True)
    expected_by = models.DateField(
        _("expected by"),
        null=True,
        blank=True,
        help_text=_("When the pledge or the agreement is expected."),
    )
    event = models.ForeignKey(
        Event,
        verbose_name=_("announced at"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pledges",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_pledges",
    )
    agreement_reference = models.CharField(
        _("agreement reference"), max_length=100, blank=True, db_index=True
    )
    external_source = models.CharField(
        _("external source"),
        max_length=50,
        blank=True,
        help_text=_("The system or file an imported pledge came from."),
    )
    external_id = models.CharField(
        _("external id"), max_length=100, blank=True, db_index=True
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_reason = models.TextField(_("reason declined or withdrawn"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    import_batch = import_batch_field()

    # What clean() and the services compare with (see LoadedValuesMixin).
    loaded_fields = ("stage", "currency", "pledged_on", "amount")

    objects = PledgeQuerySet.as_manager()

    # A rate the imported file carries for this record (not stored): see
    # ``crm.lib.money.choose_rate``.
    carried_rate: CarriedRate | None = None

    history = HistoricalRecords()

    class Meta:
        ordering = ["-pledged_on", "-created_at"]
        constraints = [
            external_reference_constraint("pledge"),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="pledge_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(probability__lte=100), name="pledge_probability_max_100"
            ),
        ]
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")

    def __str__(self) -> str:
        if self.amount is None:
            return self.title
        return f"{self.title} ({format_money(self.amount, self.currency)})"

    def save(self, *args, **kwargs) -> None:
        self.apply_stage_probability()
        self.convert_amount()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("admin:pledges_pledge_change", args=[self.pk])

    @property
    def iati_earmarking_category(self) -> str:
        return self.IATI_EARMARKING[self.Earmarking(self.earmarking)]

    @property
    def is_open(self) -> bool:
        return self.stage in self.Stage.OPEN

    @property
    def is_closed(self) -> bool:
        return self.stage in self.Stage.CLOSED

    def apply_stage_probability(self) -> None:
        """Closed stages count 0%, fulfilled 100%; otherwise a default per stage.

        A probability still at the old stage's default follows a stage change;
        one that was set by hand stays.
        """
        if self.stage not in self.DEFAULT_PROBABILITY:
            return  # an unknown stage: clean_fields reports it
        if self.stage in self.Stage.CLOSED:
            self.probability = 0
        elif self.stage == self.Stage.FULFILLED:
            self.probability = 100
        else:
            before = self.loaded("stage")
            if self.probability is None or (
                before
                and before != self.stage
                and self.probability == self.DEFAULT_PROBABILITY.get(before)
            ):
                self.probability = self.DEFAULT_PROBABILITY[self.stage]

    def conversion_date(self) -> dt.date:
        """The pledge date; before there is one, the date of the first entry."""
        return self.pledged_on or self.rate_date or timezone.localdate()

    def convert_amount(self) -> None:
        """Set the CHF equivalent, looking up a rate only when currency or date moved.

        A rate the imported file carries (``carried_rate``, set by the importer)
        serves where the rate table has none. Raises ``MissingExchangeRate`` (a
        ValidationError) naming currency and date.
        """
        on = self.conversion_date()
        if (
            self.chf_rate is None
            or self.rate_date != on
            or self.currency != (self.loaded("currency") or self.currency)
        ):
            chosen = choose_rate(self.currency, CHF, on, carried=self.carried_rate)
            self.chf_rate, self.rate_date = chosen.rate, on
            self.rate_source = chosen.source
        self.amount_chf = quantize(self.amount * self.chf_rate)

    def received_total(self) -> Decimal:
        """What the payments add up to, in the pledge currency (refunds deducted)."""
        if self.pk is None:
            return ZERO
        return total(self.payments.all(), "amount_in_pledge_currency")

    def installments_total(self) -> Decimal:
        if self.pk is None:
            return ZERO
        return total(self.installments.all(), "amount")

    def pledged_before_reductions(self) -> Decimal:
        """The amount pledged before any reduction, in the pledge currency.

        The amount now plus what the reductions took off it. A reduction that
        withdrew the pledge took nothing off: a withdrawn pledge keeps the
        amount it had when cancelled.
        """
        if self.pk is None:
            return self.amount
        return self.amount + total(self.reductions.filter(withdraws=False), "amount")

    @staticmethod
    def refund_fits(refund: Decimal, received: Decimal) -> bool:
        """Whether a refund (above zero, in the pledge's currency) takes back
        no more than the ``received`` so far: the limit ``Payment.clean``
        enforces and an FTS import plans with."""
        return refund <= received

    def stage_for_received(self, received: Decimal) -> str:
        """The stage the payments call for.

        Payments covering the amount make a firm pledge fulfilled. A refund that
        uncovers a fulfilled cash pledge sends it back to agreement signed, or to
        pledged if no agreement was signed. An in-kind pledge may also be marked
        fulfilled by hand on delivery, without payments, and then stays so.
        """
        if self.stage not in self.Stage.PAYABLE:
            return self.stage
        if received >= self.amount:
            return self.Stage.FULFILLED
        if self.stage == self.Stage.FULFILLED and self.kind == self.Kind.CASH:
            if self.agreement_signed_on:
                return self.Stage.AGREEMENT_SIGNED
            return self.Stage.PLEDGED
        return self.stage

    def clean(self) -> None:
        errors: dict[str, list] = {}

        def add(field: str, message) -> None:
            errors.setdefault(field, []).append(message)

        self.currency = (self.currency or "").upper()
        stage_label = str(dict(self.Stage.choices).get(self.stage, self.stage))
        if self.stage in self.Stage.PAYABLE and not self.pledged_on:
            add(
                "pledged_on",
                _("A pledge at stage “%(stage)s” needs the date it was pledged.")
                % {"stage": stage_label},
            )
        if self.stage == self.Stage.AGREEMENT_SIGNED and not self.agreement_signed_on:
            add(
                "agreement_signed_on",
                _("Give the date the agreement was signed."),
            )
        if self.stage in self.Stage.CLOSED and not self.closed_reason.strip():
            add(
                "closed_reason",
                _("Say why the pledge was %(stage)s.") % {"stage": stage_label.lower()},
            )
        if (
            self.period_start
            and self.period_end
            and self.period_end < self.period_start
        ):
            add(
                "period_end",
                _("The period ends (%(end)s) before it starts (%(start)s).")
                % {"end": self.period_end, "start": self.period_start},
            )
        if self.pk is not None:
            self._clean_against_history(add)
        if (
            self.stage == self.Stage.FULFILLED
            and self.loaded("stage") != self.Stage.FULFILLED
            and self.kind == self.Kind.CASH
            and self.amount is not None
        ):
            received = self.received_total()
            if received < self.amount:
                add(
                    "stage",
                    _(
                        "A cash pledge becomes fulfilled when its payments cover the "
                        "amount: %(currency)s %(received)s of %(amount)s received."
                    )
                    % {
                        "currency": self.currency,
                        "received": received,
                        "amount": self.amount,
                    },
                )
        if self.amount is not None and self.currency and "currency" not in errors:
            try:
                validate_currency(self.currency)
                self.convert_amount()
            except MissingExchangeRate as error:
                add("currency", error.messages[0])
            except ValidationError:
                pass  # clean_fields reports the unknown currency
        self.apply_stage_probability()
        if errors:
            raise ValidationError(errors)

    def _clean_against_history(self, add) -> None:
        """Rules that depend on the payments and installments already recorded."""
        if self.currency != self.loaded("currency"):
            if self.payments.exists():
                add(
                    "currency",
                    _(
                        "Payments are recorded in %(old)s terms for this pledge; "
                        "its currency cannot change to %(new)s."
                    )
                    % {"old": self.loaded("currency"), "new": self.currency},
                )
            elif self.reductions.exists():
                add(
                    "currency",
                    _(
                        "Reductions are recorded in %(old)s terms for this pledge; "
                        "its currency cannot change to %(new)s."
                    )
                    % {"old": self.loaded("currency"), "new": self.currency},
                )
        if self.amount is None:
            return
        if not getattr(self, "_installments_checked_by_formset", False):
            message = self.schedule_error(self.installments_total())
            if message:
                add("amount", message)

    def schedule_error(self, scheduled: Decimal, amount: Decimal | None = None) -> str:
        """Why installments adding up to ``scheduled`` do not fit, or "".

        ``amount`` is the pledged amount to fit them in, the current one if
        not given (a reduction checks the amount it leaves).
        """
        amount = self.amount if amount is None else amount
        if scheduled <= amount:
            return ""
        return _(
            "The installments add up to %(currency)s %(scheduled)s, "
            "more than the amount of %(currency)s %(amount)s."
        ) % {"currency": self.currency, "scheduled": scheduled, "amount": amount}


class Installment(models.Model):
    """An amount due on a date, in the pledge's currency."""

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        HALF_YEARLY = "half_yearly", _("Every six months")
        YEARLY = "yearly", _("Yearly")

    MONTHS_BETWEEN = {
        Frequency.MONTHLY: 1,
        Frequency.QUARTERLY: 3,
        Frequency.HALF_YEARLY: 6,
        Frequency.YEARLY: 12,
    }

    pledge = models.ForeignKey(
        Pledge,
        verbose_name=_("pledge"),
        on_delete=models.CASCADE,
        related_name="installments",
    )
    due_date = models.DateField(_("due"), db_index=True)
    amount = money_field(_("amount"), validators=[MinValueValidator(CENT)])
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = InstallmentQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["pledge", "due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="installment_amount_positive"
            ),
        ]
        verbose_name = _("installment")
        verbose_name_plural = _("installments")

    def __str__(self) -> str:
        if self.amount is None or self.due_date is None:
            return str(_("New installment"))
        currency = self.pledge.currency if self.pledge_id else ""
        return f"{self.due_date:%Y-%m-%d}: {format_money(self.amount, currency)}"

    def clean(self) -> None:
        if (
            self.pledge_id is None
            or self.amount is None
            or getattr(self, "_total_checked_by_formset", False)
        ):
            return
        others = total(self.pledge.installments.exclude(pk=self.pk), "amount")
        if others + self.amount > self.pledge.amount:
            raise ValidationError(
                {
                    "amount": _(
                        "The installments would add up to %(currency)s %(total)s, "
                        "more than the pledge's %(currency)s %(amount)s."
                    )
                    % {
                        "currency": self.pledge.currency,
                        "total": others + self.amount,
                        "amount": self.pledge.amount,
                    }
                }
            )


class Payment(LoadedValuesMixin, models.Model):
    """Money received on a pledge; a refund is a negative payment."""

    pledge = models.ForeignKey(
        Pledge,
        verbose_name=_("pledge"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    installment = models.ForeignKey(
        Installment,
        verbose_name=_("installment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
        help_text=_(
            "For reference only: payments cover installments in due-date order."
        ),
    )
    received_on = models.DateField(
        _("received on"), default=timezone.localdate, db_index=True
    )
    amount = money_field(_("amount"), help_text=_("Negative for a refund."))
    currency = currency_field(
        blank=True, help_text=_("Leave empty for the pledge's currency.")
    )
    amount_chf = money_field(_("amount (CHF)"), blank=True, editable=False)
    chf_rate = rate_field(_("CHF per unit"), blank=True, editable=False)
    amount_in_pledge_currency = money_field(
        _("amount in pledge currency"), blank=True, editable=False
    )
    pledge_rate = rate_field(_("pledge currency per unit"), blank=True, editable=False)
    rate_source = rate_source_field()
    reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        db_index=True,
        help_text=_("The finance or bank reference."),
    )
    external_source = models.CharField(_("external source"), max_length=50, blank=True)
    external_id = models.CharField(
        _("external id"), max_length=100, blank=True, db_index=True
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    import_batch = import_batch_field()

    loaded_fields = ("pledge_id", "amount", "currency", "received_on")

    objects = PaymentQuerySet.as_manager()

    # A rate the imported file carries for this record (not stored): see
    # ``crm.lib.money.choose_rate``.
    carried_rate: CarriedRate | None = None

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-pk"]
        constraints = [
            external_reference_constraint("payment"),
            models.CheckConstraint(
                condition=~Q(amount=0), name="payment_amount_not_zero"
            ),
        ]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        if self.amount is None or self.received_on is None:
            return str(_("New payment"))
        return (
            f"{self.received_on:%Y-%m-%d}: {format_money(self.amount, self.currency)}"
        )

    def save(self, *args, **kwargs) -> None:
        if not self.currency:
            self.currency = self.pledge.currency
        self.convert_amount()
        super().save(*args, **kwargs)

    @property
    def is_refund(self) -> bool:
        return self.amount is not None and self.amount < 0

    def convert_amount(self) -> None:
        """Set the CHF and pledge-currency equivalents on the payment date.

        The stored rates are reused while currency, date and pledge stay the
        same. Raises ``MissingExchangeRate`` naming currency and date.
        """
        moved = (
            self.chf_rate is None
            or self.pledge_rate is None
            or self.currency != self.loaded("currency")
            or self.received_on != self.loaded("received_on")
            or self.pledge_id != self.loaded("pledge_id")
        )
        if moved:
            on, carried = self.received_on, self.carried_rate
            chosen = choose_rate(self.currency, CHF, on, carried=carried)
            self.chf_rate, self.rate_source = chosen.rate, chosen.source
            self.pledge_rate = choose_rate(
                self.currency, self.pledge.currency, on, carried=carried
            ).rate
        self.amount_chf = quantize(self.amount * self.chf_rate)
        self.amount_in_pledge_currency = quantize(self.amount * self.pledge_rate)

    def clean(self) -> None:
        if self.pledge_id is None or self.amount is None:
            return
        pledge = self.pledge
        if not self.currency:
            self.currency = pledge.currency
        self.currency = self.currency.upper()
        errors: dict[str, list] = {}

        def add(field: str, message) -> None:
            errors.setdefault(field, []).append(message)

        if self.amount == 0:
            add("amount", _("A payment of zero records nothing."))
        changed = self.pk is None or any(
            getattr(self, name) != self.loaded(name)
            for name in ("pledge_id", "amount", "currency", "received_on")
        )
        if changed and pledge.stage in Pledge.Stage.CLOSED:
            add(
                "pledge",
                _("No payment can be recorded on a %(stage)s pledge (%(pledge)s).")
                % {"stage": pledge.get_stage_display().lower(), "pledge": pledge},
            )
        elif changed and pledge.stage in Pledge.Stage.PIPELINE:
            add(
                "pledge",
                _(
                    "%(pledge)s is still at stage “%(stage)s”: move it to pledged "
                    "before recording payments."
                )
                % {"stage": pledge.get_stage_display(), "pledge": pledge},
            )
        if self.installment_id and self.installment.pledge_id != self.pledge_id:
            add("installment", _("This installment belongs to another pledge."))
        if errors:
            raise ValidationError(errors)
        try:
            validate_currency(self.currency)
            self.convert_amount()
        except MissingExchangeRate as error:
            raise ValidationError({"currency": error.messages}) from error
        except ValidationError:
            return  # clean_fields reports the unknown currency
        if self.amount < 0 and pledge.pk is not None:
            others = total(
                pledge.payments.exclude(pk=self.pk), "amount_in_pledge_currency"
            )
            if not Pledge.refund_fits(-self.amount_in_pledge_currency, others):
                raise ValidationError(
                    {
                        "amount": _(
                            "A refund of %(currency)s %(refund)s is more than the "
                            "%(currency)s %(received)s received on this pledge."
                        )
                        % {
                            "currency": pledge.currency,
                            "refund": -self.amount_in_pledge_currency,
                            "received": others,
                        }
                    }
                )


class PledgeReduction(models.Model):
    """An amount taken off a pledge: the donor cut it, or cancelled what was left.

    Recorded by ``pledges.services.pledge_reduce``, never typed in. ``amount``
    is what was taken off, above zero, in the pledge's currency (which then
    cannot change); the pledge's amount is lowered by it. A reduction of all
    that was left withdraws the pledge instead (``withdraws``), which keeps
    its last amount. A reduction read from another system keeps the id of
    the record that made it (an OCHA FTS flow), so that importing that record
    again reduces nothing more.
    """

    pledge = models.ForeignKey(
        Pledge,
        verbose_name=_("pledge"),
        on_delete=models.CASCADE,
        related_name="reductions",
    )
    reduced_on = models.DateField(_("reduced on"), db_index=True)
    amount = money_field(
        _("amount"),
        validators=[MinValueValidator(CENT)],
        help_text=_("What was taken off, in the pledge's currency."),
    )
    withdraws = models.BooleanField(
        _("withdrew the pledge"),
        default=False,
        help_text=_(
            "It took off all that was left: the pledge was withdrawn and keeps "
            "its last amount."
        ),
    )
    reason = models.TextField(_("reason"))
    external_source = models.CharField(_("external source"), max_length=50, blank=True)
    external_id = models.CharField(
        _("external id"),
        max_length=100,
        blank=True,
        db_index=True,
        help_text=_("The record that reduced the pledge, such as an OCHA FTS flow."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    import_batch = import_batch_field()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-reduced_on", "-pk"]
        constraints = [
            external_reference_constraint("pledge_reduction"),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="pledge_reduction_amount_positive"
            ),
        ]
        verbose_name = _("pledge reduction")
        verbose_name_plural = _("pledge reductions")

    def __str__(self) -> str:
        if self.amount is None or self.reduced_on is None:
            return str(_("New reduction"))
        currency = self.pledge.currency if self.pledge_id else ""
        return f"{self.reduced_on:%Y-%m-%d}: {format_money(-self.amount, currency)}"

    @property
    def external_reference(self) -> str:
        """Source and id of the record that made it ("fts 401004"), if any."""
        return " ".join(
            part for part in (self.external_source, self.external_id) if part
        )
