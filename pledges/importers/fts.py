"""Importable OCHA Financial Tracking Service flow exports."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import Sum
from django.utils.translation import gettext as _

from crm.imports.engine import (
    ERROR,
    NEW,
    UNCHANGED,
    UPDATE,
    cell,
    chunks,
    column_error,
    fail,
    parsed,
    visible,
)
from crm.imports.registry import register
from crm.lib.parse import ParseError, clean_name, parse_amount, parse_date
from partners.importers.matching import (
    partner_ref,
)
from partners.models import Partner
from pledges import services
from pledges.importers.fts_corrections import (
    FIGURES,
    FtsCorrections,
    _Correction,
    _figures,
    _Original,
    _partner_key,
)
from pledges.importers.pledges import PledgeImporter
from pledges.models import (
    CENT,
    ZERO,
    Installment,
    Payment,
    Pledge,
)

# A negative flow's link to the flow it corrects. FTS exports carry none (the
# "parent flow" of FTS is the flow upstream in a funding chain, not the flow
# corrected), so the column is optional: a user or a tool adds it.
ORIGINAL_FLOW_COLUMNS = (
    "originalFlowId",
    "original flow id",
    "original flow",
    "refund of",
    "corrects flow",
)


@register
class FtsImporter(FtsCorrections, PledgeImporter):
    """OCHA Financial Tracking Service flow exports.

    pledge -> stage pledged, commitment -> agreement signed, paid -> a payment
    (the pledge created first if needed). The flow id is the external
    reference (source "fts"); amounts stay in their original currency, USD
    when ``originalCurrency`` is empty.

    A negative flow corrects an earlier flow of the same donor: a negative
    paid flow is a refund, a negative payment on the pledge of the paid flow
    it refunds; a negative pledge or commitment lowers the pledge of the flow
    it corrects, or withdraws it when it cancels the whole amount. The flow
    corrected is the one an ``originalFlowId`` column names, else the one
    ``find_original`` picks. Negative flows are planned after the others, so
    the flow they correct may come later in the file.
    """

    name = "fts"
    label = _("OCHA FTS flows")
    source = "fts"
    asks_lever = False  # FTS has no lever column; the preview lists the default
    fast_insert = False  # the payments need the new pledges' keys
    allow_negative = True  # corrections; a pledge's amount is checked positive
    headers: ClassVar = {
        "external_id": ("id", "flow id", "flowid"),
        "partner": ("srcOrganization", "source organization"),
        "pledged_on": ("date",),
        "decision_date": ("decisionDate",),
        "status": ("status",),
        "amount": ("originalAmount",),
        "currency": ("originalCurrency",),
        "amount_usd": ("amountUSD",),
        "kind": ("contributionType",),
        "title": ("description",),
        "flow_type": ("flowType",),
        "dest": ("destOrganization",),
        "original_flow": ORIGINAL_FLOW_COLUMNS,
    }
    required = ("external_id", "partner", "status", "pledged_on")
    required_any = (("amount", "amount_usd"),)
    signature = frozenset({"srcorganization", "amountusd", "flowtype"})
    STATUS = {
        "pledge": Pledge.Stage.PLEDGED,
        "commitment": Pledge.Stage.AGREEMENT_SIGNED,
        "paid": Pledge.Stage.PLEDGED,
    }

    def prepare(self, rows) -> None:
        super().prepare(rows)
        self.paid = set(
            visible(Payment, self.user)
            .filter(external_source=self.source)
            .values_list("external_id", flat=True)
        )
        self.load_reductions()
        self.load_originals()
        self.lines: dict[str, int] = {}  # flow id -> its first row in this file
        self.negative: set[int] = set()  # rows of negative flows
        self.planned: dict[int, _Original] = {}  # row -> the flow it plans
        for row in rows:
            flow = str(self.raw_cell(row, "external_id") or "").strip()
            if flow:
                self.lines.setdefault(flow, row.line)
            if self.is_negative(row):
                self.negative.add(row.line)
        # Installments a reduction must leave room for, read only if needed.
        self.scheduled: dict[int, Decimal] = {}
        if self.negative:
            scheduled = (
                Installment.objects.filter(pledge__external_source=self.source)
                .order_by()
                .values("pledge")
                .annotate(total=Sum("amount"))
                .values_list("pledge", "total")
            )
            self.scheduled = {pk: total.quantize(CENT) for pk, total in scheduled}
        if isinstance(rows, list):
            # The engine plans the rows in this list's order: corrections last,
            # so the flow a correction names is planned first wherever it is.
            rows.sort(key=lambda row: row.line in self.negative)

    def raw_cell(self, row, name: str) -> object:
        header = self.columns.get(name)
        return row.values.get(header) if header else None

    def is_negative(self, row) -> bool:
        """Whether the row's amount is below zero, read as ``values`` reads it."""
        for name in ("amount", "amount_usd"):
            value = self.raw_cell(row, name)
            if value is None or not str(value).strip():
                continue
            try:
                return parse_amount(value).amount < 0
            except (ParseError, ValueError, TypeError):
                return False
        return False

    def values(self, values: dict, line: int) -> dict:
        flow = str(cell(self, values, "external_id") or "")
        if not flow:
            raise column_error(self, "external_id", "", _("a flow needs its id."))
        status = str(cell(self, values, "status") or "").strip().lower()
        if status not in self.STATUS:
            raise column_error(
                self, "status", status, _("expected pledge, commitment or paid.")
            )
        amount_field = "amount" if cell(self, values, "amount") is not None else None
        if amount_field:
            amount, currency = self.money(values, default="USD")
        else:
            values = dict(values, currency=None)
            amount, currency = self.money(
                values, amount_field="amount_usd", default="USD"
            )
        day = parsed(
            self, values, "pledged_on", parse_date, dayfirst=self.options.dayfirst
        )
        kind = str(cell(self, values, "kind") or "").strip().lower()
        data: dict[str, Any] = {
            "external_source": self.source,
            "external_id": flow,
            "amount": amount,
            "currency": currency,
            "pledged_on": day,
            "stage": self.STATUS[status],
            "kind": Pledge.Kind.IN_KIND if kind == "in kind" else Pledge.Kind.CASH,
            "title": clean_name(cell(self, values, "title") or "")[:200]
            or _("FTS flow %(id)s") % {"id": flow},
            "lever_id": self.lever(values),
        }
        if data["stage"] == Pledge.Stage.AGREEMENT_SIGNED:
            data["agreement_signed_on"] = (
                parsed(
                    self,
                    values,
                    "decision_date",
                    parse_date,
                    dayfirst=self.options.dayfirst,
                )
                or day
            )
        partner = partner_ref(self, values)
        if isinstance(partner, Partner):
            data["partner"] = partner
        else:
            data["partner_id"] = partner
        if amount > 0 and flow in self.reductions:
            # The pledge keeps what its reductions took off: the flow's amount
            # is what it was pledged before them. Once withdrawn, it keeps the
            # amount it had when cancelled.
            cut = self.reductions[flow]
            if cut >= amount:
                data["stage"] = Pledge.Stage.WITHDRAWN
                del data["amount"]
            else:
                data["amount"] = amount - cut
        self._pay = (amount, currency, day) if status == "paid" else None
        self._status = status
        self._flow_amount = amount
        self._amount_field = amount_field or "amount_usd"
        self._data = data
        return data

    def plan(self, values: dict, line: int):
        if line in self.negative:
            return self.plan_correction(values, line)
        outcome, plan, why = self.plan_flow(values, line)
        self.remember(outcome, plan, line)
        return outcome, plan, why

    def plan_flow(self, values: dict, line: int):
        outcome, plan, why = super().plan(values, line)
        pay = self._pay
        if pay is None:
            return outcome, plan, why
        flow = str(cell(self, values, "external_id"))
        if outcome == UPDATE:
            # Paid: the payment moves the stage on; the file must not move it back.
            pk, changes = plan
            changes.pop("stage", None)
            if not changes and flow in self.paid:
                return UNCHANGED, pk, ""
        if flow in self.paid:
            return outcome, plan, why
        if outcome == UNCHANGED:
            outcome, plan, why = UPDATE, (plan, {}), _("records the payment")
        return outcome, _Paid(plan, flow, *pay), why

    def remember(self, outcome: str, plan, line: int) -> None:
        """Note the flow a row plans, as the corrections after it will see it."""
        data = self._data
        flow = data["external_id"]
        target = plan.plan if isinstance(plan, _Paid) else plan
        original = self.originals.get(flow)
        if outcome == NEW:
            original = None
            figures = _figures({name: getattr(target, name) for name in FIGURES})
            received = ZERO
        elif original is None:
            return
        else:
            figures = _figures(
                {name: getattr(original.figures, name) for name in FIGURES}
            )
            received = original.received
            changes = target[1] if outcome == UPDATE else {}
            for name in FIGURES:
                if name in changes:
                    setattr(figures, name, changes[name])
        if isinstance(plan, _Paid):
            received += self.in_pledge_currency(
                figures.currency, plan.amount, plan.currency, plan.received_on
            )
        if original is None:
            original = _Original(flow=flow, pledge=target, partner=None)
        original.line, original.status = line, self._status
        original.amount, original.currency = self._flow_amount, data["currency"]
        original.on = data["pledged_on"]
        original.figures, original.received = figures, received
        original.restage()
        partner = _partner_key(data.get("partner") or data.get("partner_id"))
        if original.partner != partner:
            if original.partner is not None:
                self.by_partner[original.partner].remove(original)
            original.partner = partner
            self.by_partner.setdefault(partner, []).append(original)
        self.originals[flow] = original
        self.planned[line] = original

    def check(self, results) -> None:
        paid = {}
        for result in results:
            if isinstance(result.plan, _Paid):
                paid[result.line] = result.plan
                result.plan = result.plan.plan
        super().check(results)
        for result in results:
            if result.line in paid and result.outcome in (NEW, UPDATE):
                paid[result.line].plan = result.plan
                result.plan = paid[result.line]
            if result.outcome == ERROR and result.line in self.planned:
                self.planned[result.line].failed = True
        for result in results:
            correction = result.plan
            if isinstance(correction, _Correction) and correction.original.failed:
                fail(
                    result,
                    column_error(
                        self,
                        correction.error_field,
                        correction.error_value,
                        _(
                            "flow %(flow)s, which it corrects, is row %(line)s of "
                            "this file, which has an error: fix that row first."
                        )
                        % {
                            "flow": correction.original.flow,
                            "line": correction.original.line,
                        },
                    ).message,
                )

    def write(self, plans, progress) -> None:
        batch = self.batch if self.batch is not None and self.batch.pk else None
        payments, corrections, rest = [], [], []
        for result in plans:
            if isinstance(result.plan, _Correction):
                corrections.append(result.plan)
                continue
            if isinstance(result.plan, _Paid):
                payments.append(result.plan)
                result.plan = result.plan.plan
            rest.append(result)
        super().write(rest, progress)
        created = []
        for pay in payments:
            pledge = pay.plan if isinstance(pay.plan, Pledge) else pay.plan[0]
            payment = services.pledge_record_payment(
                pledge=pledge,
                amount=pay.amount,
                currency=pay.currency,
                received_on=pay.received_on,
                external_source=self.source,
                external_id=pay.flow,
            )
            created.append(payment.pk)
        for correction in corrections:
            # Read afresh: this run may have paid or changed it.
            pledge = Pledge.objects.get(pk=correction.original.pledge_pk)
            self.stamp(pledge)
            if correction.refund:
                payment = services.pledge_record_payment(
                    pledge=pledge,
                    amount=-correction.amount,
                    currency=correction.currency,
                    received_on=correction.on,
                    external_source=self.source,
                    external_id=correction.flow,
                )
                created.append(payment.pk)
            else:
                services.pledge_reduce(
                    pledge=pledge,
                    by=correction.amount,
                    on=correction.on,
                    reason=correction.reason,
                    external_source=self.source,
                    external_id=correction.flow,
                    import_batch=batch,
                )
        if batch is not None:
            for group in chunks(created):
                Payment.objects.filter(pk__in=group).update(import_batch=self.batch)


class _Paid:
    def __init__(self, plan, flow, amount, currency, received_on) -> None:
        self.plan = plan
        self.flow = flow
        self.amount = amount
        self.currency = currency
        self.received_on = received_on
