"""Importable OCHA Financial Tracking Service flow exports."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.imports.engine import (
    ERROR,
    NEW,
    SKIPPED,
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
from crm.lib.money import CarriedRate
from crm.lib.names import normalize_name
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

# FTS srcOrganizationTypes -> the category of a partner the file creates. A
# "Government" donor that matched no Member State's government is one of its
# agencies or ministries (the state itself matches by name or country).
FTS_CATEGORIES = {
    normalize_name(kind): category
    for kind, category in {
        "Government": Partner.Category.GOVERNMENT_AGENCY,
        "Governments": Partner.Category.GOVERNMENT_AGENCY,
        "UN agency": Partner.Category.UN_ENTITY,
        "UN agencies": Partner.Category.UN_ENTITY,
        "NGO": Partner.Category.CIVIL_SOCIETY,
        "NGOs": Partner.Category.CIVIL_SOCIETY,
        "Private organization/foundation": Partner.Category.FOUNDATION,
        "Private organizations/foundations": Partner.Category.FOUNDATION,
        "Inter-governmental": Partner.Category.IGO,
        "Intergovernmental": Partner.Category.IGO,
        # CERF and the country-based pooled funds, managed by OCHA.
        "Pooled fund": Partner.Category.UN_ENTITY,
        "Pooled funds": Partner.Category.UN_ENTITY,
        "Red Cross/Red Crescent": Partner.Category.CIVIL_SOCIETY,
        "Academic/research institution": Partner.Category.ACADEMIA,
        "Private sector": Partner.Category.PRIVATE_SECTOR,
    }.items()
}


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
    label = gettext_lazy("OCHA FTS flows")
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
        "exchange_rate": ("exchangeRate", "exchange rate"),
        "src_types": ("srcOrganizationTypes", "source organization types"),
        "src_locations": ("srcLocations", "source locations"),
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
        self.enriched: set[int] = set()  # ids of the partners described
        self._carried: CarriedRate | None = None
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
                amount = parse_amount(value).amount
                if amount:
                    return amount < 0
                continue  # zero: amountUSD stands in
            except (ParseError, ValueError, TypeError):
                return False
        return False

    def flow_money(self, values: dict) -> tuple[Decimal, str, str]:
        """(amount, currency, column read): ``amountUSD`` stands in, in USD,
        when ``originalAmount`` is empty or zero."""
        if cell(self, values, "amount") is not None:
            amount, currency = self.money(values, default="USD")
            if amount or cell(self, values, "amount_usd") is None:
                return amount, currency, "amount"
        values = dict(values, currency=None)
        amount, currency = self.money(values, amount_field="amount_usd", default="USD")
        return amount, currency, "amount_usd"

    def flow_rate(
        self, values: dict, amount: Decimal, currency: str, amount_field: str
    ) -> CarriedRate | None:
        """The rate the row carries: ``exchangeRate`` (units per USD), else the
        ratio of ``originalAmount`` to ``amountUSD``."""
        if currency == "USD" or amount_field != "amount":
            return None
        raw = cell(self, values, "exchange_rate")
        if raw is not None and str(raw).strip():
            rate = parsed(self, values, "exchange_rate", parse_amount).amount
            if rate <= 0:
                raise column_error(
                    self, "exchange_rate", raw, _("a rate must be above zero.")
                )
            return CarriedRate(currency, rate, _("file: FTS exchangeRate"))
        raw = cell(self, values, "amount_usd")
        if raw is None or not str(raw).strip():
            return None
        usd = parsed(self, values, "amount_usd", parse_amount).amount
        if not usd or (usd < 0) != (amount < 0):
            return None
        return CarriedRate(currency, amount / usd, _("file: FTS amountUSD"))

    def carried_rate(self) -> CarriedRate | None:
        return self._carried

    def values(self, values: dict, line: int) -> dict:
        flow = str(cell(self, values, "external_id") or "")
        if not flow:
            raise column_error(self, "external_id", "", _("a flow needs its id."))
        status = str(cell(self, values, "status") or "").strip().lower()
        if status not in self.STATUS:
            raise column_error(
                self, "status", status, _("expected pledge, commitment or paid.")
            )
        amount, currency, amount_field = self.flow_money(values)
        if not amount:
            raise ZeroFlow(flow)
        self._carried = self.flow_rate(values, amount, currency, amount_field)
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
            if partner.pk is None and id(partner) not in self.enriched:
                self.enrich(partner, values)
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
        self._pay = (amount, currency, day, self._carried) if status == "paid" else None
        self._status = status
        self._flow_amount = amount
        self._amount_field = amount_field
        self._data = data
        return data

    def enrich(self, partner: Partner, values: dict) -> None:
        """What FTS says of a donor the file creates: its kind, its country
        (``srcLocations`` naming exactly one), and the importing user as owner."""
        self.enriched.add(id(partner))
        kinds = str(cell(self, values, "src_types") or "")
        for kind in kinds.split(","):
            category = FTS_CATEGORIES.get(normalize_name(kind))
            if category:
                if partner.category == Partner.Category.GOVERNMENT:
                    break  # a Member State the matcher tied to its country
                partner.category = category
                break
        if partner.country_id is None:
            partner.country_id = self.location(cell(self, values, "src_locations"))
        if self.user is not None and getattr(self.user, "pk", None):
            partner.owner_id = self.user.pk

    def location(self, text: object) -> int | None:
        """The country a ``srcLocations`` cell names, if it names one only."""
        text = str(text or "").strip()
        if not text:
            return None
        found = self.matcher.country(text)
        if found:
            return found
        parts = {self.matcher.country(part) for part in re.split(r"[;|]", text)}
        return parts.pop() if len(parts) == 1 else None

    def plan(self, values: dict, line: int):
        if line in self.negative:
            return self.plan_correction(values, line)
        try:
            outcome, plan, why = self.plan_flow(values, line)
        except ZeroFlow:
            return SKIPPED, None, _("skipped: amount is zero")
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
                figures.currency,
                plan.amount,
                plan.currency,
                plan.received_on,
                plan.carried,
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
                carried_rate=pay.carried,
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
                    carried_rate=correction.carried,
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


class ZeroFlow(Exception):
    """A flow of zero: an FTS placeholder, skipped rather than refused."""


class _Paid:
    def __init__(self, plan, flow, amount, currency, received_on, carried) -> None:
        self.carried = carried
        self.plan = plan
        self.flow = flow
        self.amount = amount
        self.currency = currency
        self.received_on = received_on
