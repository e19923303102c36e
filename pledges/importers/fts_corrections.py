"""OCHA FTS corrections: the flow a negative flow corrects, and its plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from crm.imports.engine import (
    NEW,
    UNCHANGED,
    RowError,
    cell,
    column_error,
    visible,
)
from crm.lib.money import CHF, CarriedRate, MissingExchangeRate, quantize
from partners.models import Partner
from pledges import services
from pledges.models import (
    ZERO,
    Payment,
    Pledge,
    PledgeReduction,
)


class FtsCorrections:
    """The negative flows of an FTS file: refunds, pledges reduced or withdrawn.

    Mixed into ``FtsImporter``: it loads the flows imported before and plans
    each negative flow against the flow it corrects, as the rows before it
    leave that flow.
    """

    def load_reductions(self) -> None:
        """The reductions recorded before, in one query.

        ``reductions``: flow id -> what reductions took off its pledge, in the
        pledge's currency (which cannot change once reduced), the reduction
        that withdrew it included. ``reduced``: the negative flows already
        recorded as reductions.
        """
        self.reductions: dict[str, Decimal] = {}
        self.reduced: set[str] = set()
        found = (
            PledgeReduction.objects.filter(
                Q(pledge__external_source=self.source) | Q(external_source=self.source)
            )
            .values_list(
                "pledge__external_source",
                "pledge__external_id",
                "amount",
                "external_source",
                "external_id",
            )
            .iterator(chunk_size=5000)
        )
        for pledge_source, flow, amount, source, negative_flow in found:
            if pledge_source == self.source:
                self.reductions[flow] = self.reductions.get(flow, ZERO) + amount
            if source == self.source and negative_flow:
                self.reduced.add(negative_flow)

    def load_originals(self) -> None:
        """The flows imported before, which negative flows may correct."""
        self.originals: dict[str, _Original] = {}
        self.by_partner: dict[object, list[_Original]] = {}
        received: dict[int, Decimal] = {}
        paid: dict[tuple[int, str], tuple[Decimal, str, dt.date]] = {}
        payments = (
            visible(Payment, self.user)
            .filter(pledge__external_source=self.source)
            .values_list(
                "pledge_id",
                "external_source",
                "external_id",
                "amount",
                "currency",
                "received_on",
                "amount_in_pledge_currency",
            )
            .iterator(chunk_size=5000)
        )
        for pledge_id, source, flow, amount, currency, on, in_pledge in payments:
            received[pledge_id] = received.get(pledge_id, ZERO) + in_pledge
            if source == self.source and amount > 0:
                paid[pledge_id, flow] = (amount, currency, on)
        for pk, values in self.existing.values():
            flow = values["external_id"]
            if (pk, flow) in paid:
                status = "paid"
                amount, currency, on = paid[pk, flow]
            else:
                status = "commitment" if values["agreement_signed_on"] else "pledge"
                amount, currency = values["amount"], values["currency"]
                on = values["pledged_on"]
            original = _Original(
                flow=flow,
                line=None,
                partner=values["partner_id"],
                status=status,
                amount=amount,
                currency=currency,
                on=on,
                pledge=pk,
                figures=_figures(values),
                received=received.get(pk, ZERO),
            )
            self.originals[flow] = original
            self.by_partner.setdefault(original.partner, []).append(original)

    def in_pledge_currency(
        self,
        pledge_currency: str,
        amount: Decimal,
        currency: str,
        on: dt.date,
        carried: CarriedRate | None = None,
    ) -> Decimal:
        """``amount`` in the pledge's currency on ``on``; the CHF rate must exist."""
        try:
            self.rates.choose(currency, CHF, on, carried=carried)
            rate = self.rates.choose(
                currency, pledge_currency, on, carried=carried
            ).rate
        except MissingExchangeRate as error:
            raise column_error(self, "currency", currency, error.messages[0]) from error
        return quantize(amount * rate)

    def plan_correction(self, values: dict, line: int):
        """A negative flow: a refund, or a pledge reduced or withdrawn."""
        before = set(self.matcher.created)
        data = self.values(values, line)
        for key in set(self.matcher.created) - before:
            # A donor nothing was imported from: no flow of theirs to correct.
            del self.matcher.created[key]
            data["partner"] = None
        flow, currency, on = data["external_id"], data["currency"], data["pledged_on"]
        key = self.key_of(data)
        if key in self.seen:
            raise RowError(
                _("the same record as row %(line)s (key %(key)s).")
                % {"line": self.seen[key], "key": flow}
            )
        self.seen[key] = line
        if on is None:
            raise column_error(self, "pledged_on", "", _("no date."))
        refund = self._status == "paid"
        if flow in (self.paid if refund else self.reduced):
            return UNCHANGED, None, ""
        amount = -data["amount"]  # what the flow takes off, above zero
        raw = cell(self, values, self._amount_field)
        original, chosen = self.find_original(
            values, data, amount=amount, refund=refund, raw=raw
        )
        correction = _Correction(original, flow, amount, currency, on, refund)
        correction.carried = self._carried
        correction.error_field = "original_flow" if not chosen else self._amount_field
        correction.error_value = (
            cell(self, values, "original_flow") if not chosen else raw
        )
        figures = original.figures
        if figures.stage not in Pledge.Stage.PAYABLE:
            raise column_error(
                self,
                correction.error_field,
                correction.error_value,
                _("the pledge of flow %(flow)s is %(stage)s: it takes no correction.")
                % {
                    "flow": original.flow,
                    "stage": figures.get_stage_display().lower(),
                },
            )
        if refund:
            taken = self.in_pledge_currency(
                figures.currency, amount, currency, on, self._carried
            )
            if not Pledge.refund_fits(taken, original.received):
                raise column_error(
                    self,
                    self._amount_field,
                    raw,
                    _(
                        "a refund of %(currency)s %(refund)s is more than the "
                        "%(currency)s %(received)s received on the pledge of flow "
                        "%(flow)s."
                    )
                    % {
                        "currency": figures.currency,
                        "refund": taken,
                        "received": original.received,
                        "flow": original.flow,
                    },
                )
            original.received -= taken
            original.restage()
            why = _("refund on the pledge of flow %(flow)s") % {"flow": original.flow}
        else:
            why = self.plan_reduction(correction, raw)
        if chosen:
            why += " " + _("(found by donor, currency and date)")
        return NEW, correction, why

    def plan_reduction(self, correction: _Correction, raw: object) -> str:
        """Plan a reduction by the rules of ``pledge_reduce``, on the pledge as
        the rows before leave it (``pledge_reduction_check``)."""
        original, amount = correction.original, correction.amount
        figures = original.figures
        if correction.currency != figures.currency:
            raise column_error(
                self,
                "currency",
                correction.currency,
                _(
                    "the pledge of flow %(flow)s is in %(pledge_currency)s: a "
                    "correction in another currency cannot reduce it."
                )
                % {"flow": original.flow, "pledge_currency": figures.currency},
            )
        scheduled = ZERO
        if isinstance(original.pledge, int):
            scheduled = self.scheduled.get(original.pledge, ZERO)
        try:
            withdraws = services.pledge_reduction_check(
                pledge=figures,
                by=amount,
                received=original.received,
                scheduled=scheduled,
            )
        except ValidationError as error:
            message = self.reduction_refusal(error, correction, scheduled)
            raise column_error(self, self._amount_field, raw, message) from error
        if withdraws:
            figures.stage = Pledge.Stage.WITHDRAWN
            correction.reason = _("Withdrawn in OCHA FTS on %(date)s.") % {
                "date": correction.on.isoformat()
            }
            return _("withdraws the pledge of flow %(flow)s") % {"flow": original.flow}
        figures.amount -= amount
        original.restage()
        correction.reason = _("Reduced in OCHA FTS on %(date)s.") % {
            "date": correction.on.isoformat()
        }
        return _("reduces the pledge of flow %(flow)s") % {"flow": original.flow}

    def reduction_refusal(
        self, error: ValidationError, correction: _Correction, scheduled: Decimal
    ) -> str:
        """What ``pledge_reduction_check`` refused, said of the flow corrected."""
        original, amount = correction.original, correction.amount
        figures = original.figures
        if error.code == "amount":
            return _(
                "a reduction of %(currency)s %(amount)s is more than the "
                "%(currency)s %(pledged)s pledged on flow %(flow)s."
            ) % {
                "currency": figures.currency,
                "amount": amount,
                "pledged": figures.amount,
                "flow": original.flow,
            }
        if error.code == "received":
            return _(
                "this cancels the pledge of flow %(flow)s, but "
                "%(currency)s %(received)s was received on it: import "
                "the refund first."
            ) % {
                "flow": original.flow,
                "currency": figures.currency,
                "received": original.received,
            }
        if error.code == "not_open":
            return _(
                "this cancels the pledge of flow %(flow)s, which is %(stage)s."
            ) % {"flow": original.flow, "stage": figures.get_stage_display().lower()}
        if error.code == "installments":
            return _(
                "the installments of the pledge of flow %(flow)s add up "
                "to %(currency)s %(scheduled)s, more than the %(currency)s "
                "%(amount)s left: change them first."
            ) % {
                "flow": original.flow,
                "currency": figures.currency,
                "scheduled": scheduled,
                "amount": figures.amount - amount,
            }
        return error.messages[0]

    def find_original(
        self, values: dict, data: dict, *, amount: Decimal, refund: bool, raw: object
    ) -> tuple[_Original, bool]:
        """The flow a negative flow corrects, and whether the rule chose it.

        An ``originalFlowId`` cell names it. Otherwise it is a flow of the same
        donor in the same currency, dated on or before the negative flow, of
        the same kind (a paid flow for a refund, a pledge or commitment for a
        reduction) and still holding at least the amount taken off (received,
        for a refund; pledged, for a reduction): the one of exactly that
        amount, else the latest.
        """
        named = cell(self, values, "original_flow")
        partner = _partner_key(data.get("partner") or data.get("partner_id"))
        if named is not None:
            flow = str(named).strip()
            original = self.originals.get(flow)
            if original is not None and not original.failed:
                if original.partner != partner:
                    raise column_error(
                        self,
                        "original_flow",
                        named,
                        _("flow %(flow)s is from another donor.") % {"flow": flow},
                    )
                return original, False
            where = self.lines.get(flow)
            if where is not None and where not in self.negative:
                message = _(
                    "flow %(flow)s is row %(line)s of this file, which has an "
                    "error: fix that row first."
                ) % {"flow": flow, "line": where}
            else:
                message = _(
                    "no flow %(flow)s has been imported: import flow %(flow)s first."
                ) % {"flow": flow}
            raise column_error(self, "original_flow", named, message)
        currency, on = data["currency"], data["pledged_on"]
        fitting = [
            original
            for original in self.by_partner.get(partner, ())
            if (original.status == "paid") == refund
            and original.currency == currency
            and original.figures.currency == currency
            and original.on is not None
            and original.on <= on
            and original.figures.stage in Pledge.Stage.PAYABLE
            and (original.received if refund else original.figures.amount) >= amount
        ]
        if not fitting:
            if refund:
                message = _(
                    "no paid flow of this donor in %(currency)s on or before "
                    "%(date)s has %(currency)s %(amount)s received to refund: "
                    "import the flow it refunds first, or give its id in an "
                    "originalFlowId column."
                )
            else:
                message = _(
                    "no pledge or commitment of this donor in %(currency)s on or "
                    "before %(date)s has %(currency)s %(amount)s left to reduce: "
                    "import the flow it corrects first, or give its id in an "
                    "originalFlowId column."
                )
            raise column_error(
                self,
                self._amount_field,
                raw,
                message
                % {"currency": currency, "amount": amount, "date": on.isoformat()},
            )
        best = max(
            fitting,
            key=lambda o: (o.amount == amount, o.on, o.line or 0, o.flow),
        )
        if best.failed:
            # Not another flow in its place: the user fixes the row and imports.
            raise column_error(
                self,
                self._amount_field,
                raw,
                _(
                    "flow %(flow)s, which it corrects, is row %(line)s of this "
                    "file, which has an error: fix that row first."
                )
                % {"flow": best.flow, "line": best.line},
            )
        return best, True


def _partner_key(partner: object) -> object:
    """A partner as a dict key: its pk, or the unsaved Partner this file creates."""
    return ("new", id(partner)) if isinstance(partner, Partner) else partner


FIGURES = ("stage", "kind", "amount", "currency", "agreement_signed_on")


def _figures(values: dict) -> Pledge:
    """An unsaved pledge holding what the stage rules read."""
    return Pledge(**{name: values[name] for name in FIGURES})


@dataclass(eq=False)
class _Original:
    """A flow a negative flow may correct, and its pledge as this run leaves it."""

    flow: str
    pledge: int | Pledge  # the pk, or the pledge this file creates
    partner: object  # a _partner_key
    line: int | None = None  # its row in this file; None when imported before
    status: str = ""  # pledge, commitment or paid
    amount: Decimal = ZERO  # the flow's own amount, in its currency
    currency: str = ""
    on: dt.date | None = None
    figures: Pledge | None = None  # stage, kind, amount, currency of that pledge
    received: Decimal = ZERO  # on that pledge, in its currency, refunds deducted
    failed: bool = False  # its row has an error

    @property
    def pledge_pk(self) -> int:
        return self.pledge.pk if isinstance(self.pledge, Pledge) else self.pledge

    def restage(self) -> None:
        self.figures.stage = self.figures.stage_for_received(self.received)


class _Correction:
    """A negative flow to record on the pledge of the flow it corrects."""

    def __init__(self, original, flow, amount, currency, on, refund) -> None:
        self.original = original
        self.flow = flow
        self.amount = amount  # what it takes off, above zero
        self.currency = currency
        self.on = on
        self.refund = refund
        self.reason = ""  # a reduction's, kept on its record
        self.carried = None  # the rate the file gives for the flow
        self.error_field = "original_flow"
        self.error_value: object = None
