"""Importable pledges, payments and OCHA FTS flow exports.

Pledges take the fast path: every row is checked with the model's
``full_clean`` (the CHF equivalent comes from an in-memory rate table with
the same newest-on-or-before rule), then new pledges are inserted with
``bulk_create``. Payments go one by one through ``pledges.services``, which
restages the pledge they pay.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.imports.engine import (
    ERROR,
    NEW,
    UNCHANGED,
    UPDATE,
    ModelImporter,
    RowError,
    cell,
    chunks,
    column_error,
    fail,
    parsed,
    visible,
)
from crm.imports.registry import register
from crm.lib.currencies import currencies
from crm.lib.money import CHF, MissingExchangeRate, RateTable, quantize
from crm.lib.names import normalize_name
from crm.lib.parse import ParseError, clean_name, parse_amount, parse_date
from partners.importers import (
    PARTNER_COLUMNS,
    PartnerMatcher,
    _lookup,
    choice_lookup,
    partner_ref,
)
from partners.models import Partner
from pledges import services
from pledges.models import (
    CENT,
    ZERO,
    Installment,
    Lever,
    Payment,
    Pledge,
    PledgeReduction,
)

STAGES = choice_lookup(
    Pledge.Stage.choices,
    {
        "pledge": Pledge.Stage.PLEDGED,
        "promesse": Pledge.Stage.PLEDGED,
        "commitment": Pledge.Stage.AGREEMENT_SIGNED,
        "committed": Pledge.Stage.AGREEMENT_SIGNED,
        "signed": Pledge.Stage.AGREEMENT_SIGNED,
        "engagement": Pledge.Stage.AGREEMENT_SIGNED,
        "paid": Pledge.Stage.FULFILLED,
        "paye": Pledge.Stage.FULFILLED,
    },
)
KINDS = choice_lookup(
    Pledge.Kind.choices,
    {
        "financial": Pledge.Kind.CASH,
        "financier": Pledge.Kind.CASH,
        "in kind": Pledge.Kind.IN_KIND,
        "en nature": Pledge.Kind.IN_KIND,
        "inkind": Pledge.Kind.IN_KIND,
    },
)
EARMARKING = choice_lookup(
    Pledge.Earmarking.choices,
    {
        "1": Pledge.Earmarking.UNEARMARKED,
        "2": Pledge.Earmarking.SOFTLY_EARMARKED,
        "3": Pledge.Earmarking.EARMARKED,
        "4": Pledge.Earmarking.TIGHTLY_EARMARKED,
        "core": Pledge.Earmarking.UNEARMARKED,
        "non affecte": Pledge.Earmarking.UNEARMARKED,
    },
)

AMOUNT_COLUMNS = (
    "amount",
    "montant",
    "pledged amount",
    "amount pledged",
    "montant promis",
    "montant de la promesse",
    "value",
    "valeur",
    "contribution",
)
CURRENCY_COLUMNS = ("currency", "devise", "monnaie", "ccy", "currency code")


def parse_currency(value: object) -> str:
    code = str(value).strip().upper()
    if code not in currencies():
        raise ValueError(_("unknown currency; use an ISO 4217 code such as CHF"))
    return code


class MoneyRowsMixin:
    """Amount and currency from their columns, or the currency in the cell."""

    def money(
        self,
        values: dict,
        *,
        amount_field="amount",
        currency_field="currency",
        default: str | None = None,
    ) -> tuple[Decimal, str]:
        currency = parsed(self, values, currency_field, parse_currency) or default
        raw = cell(self, values, amount_field)
        if raw is None:
            raise column_error(self, amount_field, "", _("no amount."))
        money = parsed(
            self,
            values,
            amount_field,
            parse_amount,
            default_currency=currency,
            allow_negative=self.allow_negative,
        )
        if currency and money.currency and money.currency != currency:
            raise column_error(
                self,
                amount_field,
                raw,
                _("the amount is in %(cell)s but the currency column says %(col)s.")
                % {"cell": money.currency, "col": currency},
            )
        code = money.currency or currency
        if not code:
            if self.has(currency_field) or default:
                raise column_error(
                    self, currency_field, "", _("no currency for this amount.")
                )
            code = CHF  # the organisation's accounting currency
        if code not in currencies():
            raise column_error(self, amount_field, raw, _("unknown currency."))
        return money.amount, code

    allow_negative: ClassVar[bool] = False


@register
class PledgeImporter(MoneyRowsMixin, ModelImporter):
    name = "pledges"
    label = _("Pledges")
    model = Pledge
    headers: ClassVar = {
        "external_id": (
            "external id",
            "reference",
            "ref",
            "pledge id",
            "pledge reference",
            "référence",
            "reference externe",
            "external reference",
        ),
        "external_source": ("source", "external source"),
        **PARTNER_COLUMNS,
        "title": ("title", "titre", "project", "projet", "intitule", "pledge"),
        "lever": ("lever", "levier"),
        "stage": ("stage", "status", "statut", "etape"),
        "kind": (
            "kind",
            "type",
            "contribution type",
            "type of contribution",
            "nature",
            "cash or in kind",
        ),
        "earmarking": ("earmarking", "affectation", "earmarking category"),
        "amount": AMOUNT_COLUMNS,
        "currency": CURRENCY_COLUMNS,
        "pledged_on": (
            "date",
            "pledge date",
            "pledged on",
            "date of pledge",
            "date de la promesse",
            "date promesse",
        ),
        "agreement_signed_on": (
            "agreement signed on",
            "signed on",
            "signature date",
            "date de signature",
        ),
        "expected_by": ("expected by", "expected", "attendu le"),
        "agreement_reference": ("agreement reference", "reference de l accord"),
        "purpose": ("purpose", "objet", "but", "description"),
        "notes": ("notes", "remarques", "comments", "commentaires"),
    }
    required = ("amount",)
    required_any = (("partner", "partner_code", "country", "partner_id"),)
    compare = (
        "partner_id",
        "title",
        "lever_id",
        "stage",
        "kind",
        "earmarking",
        "amount",
        "currency",
        "pledged_on",
        "agreement_signed_on",
        "expected_by",
        "agreement_reference",
        "purpose",
        "notes",
        "external_source",
        "external_id",
    )
    derived = ("amount_chf", "chf_rate", "rate_date", "probability")
    clean_exclude = ("partner", "lever", "event", "owner")
    fast_insert = True
    source = ""

    def prepare(self, rows) -> None:
        super().prepare(rows)
        self.matcher = PartnerMatcher(self.options.partner_choices)
        self.rates = RateTable.load()
        self.levers = {}
        for pk, code, name in Lever.objects.values_list("pk", "code", "name"):
            self.levers[normalize_name(code)] = pk
            self.levers[normalize_name(name)] = pk
        self.default_lever = (
            Lever.objects.active()
            .order_by("position", "name")
            .values_list("pk", flat=True)
            .first()
        )
        self.today = timezone.localdate()

    def existing_values(self):
        query = visible(Pledge, self.user).values("pk", *self.compare)
        if self.source:
            query = query.filter(external_source=self.source)
        return query.iterator(chunk_size=5000)

    def key_of(self, data: dict) -> object:
        if data.get("external_id"):
            return ("ref", data.get("external_source", ""), data["external_id"])
        partner = data.get("partner_id") or id(data.get("partner"))
        key = (
            "row",
            partner,
            data.get("pledged_on"),
            data.get("currency"),
            data.get("amount"),
        )
        if self.has("title"):
            key += (normalize_name(data.get("title")),)
        return key

    def lever(self, values: dict):
        raw = cell(self, values, "lever")
        if raw is None:
            if self.default_lever is None:
                raise RowError(_("no lever given and no active lever to default to."))
            return self.default_lever
        found = self.levers.get(normalize_name(str(raw)))
        if found is None:
            raise column_error(self, "lever", raw, _("no such lever."))
        return found

    def values(self, values: dict, line: int) -> dict:
        data: dict[str, Any] = {}
        amount, currency = self.money(values)
        data["amount"], data["currency"] = amount, currency
        partner = partner_ref(self, values)
        if isinstance(partner, Partner):
            data["partner"] = partner
        else:
            data["partner_id"] = partner
        data["lever_id"] = self.lever(values)
        dayfirst = self.options.dayfirst
        for name in ("pledged_on", "agreement_signed_on", "expected_by"):
            if self.has(name):
                data[name] = parsed(self, values, name, parse_date, dayfirst=dayfirst)
        if self.has("stage"):
            data["stage"] = parsed(self, values, "stage", _lookup(STAGES, "stage"))
        if self.has("kind"):
            data["kind"] = parsed(self, values, "kind", _lookup(KINDS, "kind"))
        if self.has("earmarking"):
            data["earmarking"] = parsed(
                self, values, "earmarking", _lookup(EARMARKING, "earmarking")
            )
        for name in ("title", "agreement_reference", "purpose", "notes"):
            if self.has(name):
                data[name] = str(cell(self, values, name) or "")
        if self.has("title"):
            data["title"] = data["title"][:200]
        if self.has("external_id"):
            data["external_id"] = str(cell(self, values, "external_id") or "")
            data["external_source"] = str(
                cell(self, values, "external_source") or self.source
            )
        for name in ("stage", "kind", "earmarking"):
            if name in data and data[name] is None:
                del data[name]
        return data

    def defaults(self, data: dict) -> dict:
        data = dict(data)
        if not data.get("stage"):
            data["stage"] = (
                Pledge.Stage.PLEDGED
                if data.get("pledged_on")
                else Pledge.Stage.PROSPECT
            )
        if data["stage"] == Pledge.Stage.FULFILLED:
            # Payments make a pledge fulfilled; a file can only say it was pledged.
            data["stage"] = (
                Pledge.Stage.AGREEMENT_SIGNED
                if data.get("agreement_signed_on")
                else Pledge.Stage.PLEDGED
            )
        if not data.get("title"):
            partner = data.get("partner")
            name = partner.name if partner else self.matcher.names[data["partner_id"]]
            when = data.get("pledged_on")
            data["title"] = (
                _("%(partner)s pledge of %(date)s")
                % {"partner": name, "date": when.isoformat()}
                if when
                else _("%(partner)s pledge") % {"partner": name}
            )[:200]
        for name in ("title", "agreement_reference", "purpose", "notes"):
            data.setdefault(name, "")
        return data

    def new_object(self, data: dict):
        pledge = Pledge(**data)
        on = pledge.conversion_date()
        try:
            pledge.chf_rate = self.rates.rate(pledge.currency, CHF, on)
        except MissingExchangeRate as error:
            raise column_error(
                self, "currency", pledge.currency, error.messages[0]
            ) from error
        pledge.rate_date = on
        return pledge

    def clean_new(self, obj) -> None:
        if obj.partner_id is None and obj.partner is None:
            raise RowError(_("no partner."))
        super().clean_new(obj)

    def plan(self, values: dict, line: int):
        outcome, plan, why = super().plan(values, line)
        if outcome == UPDATE:
            pk, changes = plan
            current = self.existing_by_pk(pk)
            if "stage" in changes and current["stage"] == Pledge.Stage.FULFILLED:
                # Payments decide fulfilment; a file does not undo it.
                changes.pop("stage")
            if changes.get("stage") == Pledge.Stage.FULFILLED:
                changes.pop("stage")
            if not changes:
                return UNCHANGED, pk, ""
        return outcome, plan, why

    def existing_by_pk(self, pk: int) -> dict:
        if not hasattr(self, "_by_pk"):
            self._by_pk = {p: values for p, values in self.existing.values()}
        return self._by_pk[pk]

    def before_create(self, objects: list) -> None:
        self.matcher.save_created()
        for pledge in objects:
            if pledge.partner_id is None and pledge.partner is not None:
                pledge.partner_id = pledge.partner.pk


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
class FtsImporter(PledgeImporter):
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

    def in_pledge_currency(
        self, pledge_currency: str, amount: Decimal, currency: str, on: dt.date
    ) -> Decimal:
        """``amount`` in the pledge's currency on ``on``; the CHF rate must exist."""
        try:
            self.rates.rate(currency, CHF, on)
            rate = self.rates.rate(currency, pledge_currency, on)
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
            taken = self.in_pledge_currency(figures.currency, amount, currency, on)
            if taken > original.received:
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
        if amount > figures.amount:
            raise column_error(
                self,
                self._amount_field,
                raw,
                _(
                    "a reduction of %(currency)s %(amount)s is more than the "
                    "%(currency)s %(pledged)s pledged on flow %(flow)s."
                )
                % {
                    "currency": figures.currency,
                    "amount": amount,
                    "pledged": figures.amount,
                    "flow": original.flow,
                },
            )
        if amount == figures.amount:
            if original.received:
                raise column_error(
                    self,
                    self._amount_field,
                    raw,
                    _(
                        "this cancels the pledge of flow %(flow)s, but "
                        "%(currency)s %(received)s was received on it: import "
                        "the refund first."
                    )
                    % {
                        "flow": original.flow,
                        "currency": figures.currency,
                        "received": original.received,
                    },
                )
            if figures.stage not in Pledge.Stage.COMMITTED:
                raise column_error(
                    self,
                    self._amount_field,
                    raw,
                    _("this cancels the pledge of flow %(flow)s, which is %(stage)s.")
                    % {
                        "flow": original.flow,
                        "stage": figures.get_stage_display().lower(),
                    },
                )
            figures.stage = Pledge.Stage.WITHDRAWN
            correction.reason = _("Withdrawn in OCHA FTS on %(date)s.") % {
                "date": correction.on.isoformat()
            }
            return _("withdraws the pledge of flow %(flow)s") % {"flow": original.flow}
        left = figures.amount - amount
        if isinstance(original.pledge, int):
            scheduled = self.scheduled.get(original.pledge, ZERO)
            if scheduled > left:
                raise column_error(
                    self,
                    self._amount_field,
                    raw,
                    _(
                        "the installments of the pledge of flow %(flow)s add up "
                        "to %(currency)s %(scheduled)s, more than the %(currency)s "
                        "%(amount)s left: change them first."
                    )
                    % {
                        "flow": original.flow,
                        "currency": figures.currency,
                        "scheduled": scheduled,
                        "amount": left,
                    },
                )
        figures.amount = left
        original.restage()
        correction.reason = _("Reduced in OCHA FTS on %(date)s.") % {
            "date": correction.on.isoformat()
        }
        return _("reduces the pledge of flow %(flow)s") % {"flow": original.flow}

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
        self.error_field = "original_flow"
        self.error_value: object = None


class _Paid:
    def __init__(self, plan, flow, amount, currency, received_on) -> None:
        self.plan = plan
        self.flow = flow
        self.amount = amount
        self.currency = currency
        self.received_on = received_on


@register
class PaymentImporter(MoneyRowsMixin, ModelImporter):
    """Payments, each recorded through ``pledge_record_payment``."""

    name = "payments"
    label = _("Payments")
    model = Payment
    allow_negative = True  # refunds
    headers: ClassVar = {
        "pledge": (
            "pledge",
            "pledge reference",
            "pledge id",
            "pledge external id",
            "promesse",
            "reference de la promesse",
            "agreement reference",
        ),
        "received_on": (
            "date",
            "received on",
            "payment date",
            "date de paiement",
            "date de reception",
            "value date",
        ),
        "amount": (*AMOUNT_COLUMNS, "amount received", "montant recu"),
        "currency": CURRENCY_COLUMNS,
        "reference": (
            "payment reference",
            "bank reference",
            "reference",
            "référence",
            "finance reference",
        ),
        "external_id": ("external id", "transaction id", "id"),
        "external_source": ("source", "external source"),
        "notes": ("notes", "remarques", "comments", "commentaires"),
    }
    required = ("pledge", "received_on", "amount")
    compare = (
        "pledge_id",
        "received_on",
        "amount",
        "currency",
        "reference",
        "external_source",
        "external_id",
        "notes",
    )

    def prepare(self, rows) -> None:
        super().prepare(rows)
        self.pledges: dict[str, int] = {}
        for pk, external_id, agreement in visible(Pledge, self.user).values_list(
            "pk", "external_id", "agreement_reference"
        ):
            self.pledges.setdefault(str(pk), pk)
            for ref in (external_id, agreement):
                if ref:
                    self.pledges.setdefault(ref.strip().lower(), pk)
        self.loaded: dict[int, Pledge] = {}

    def key_of(self, data: dict) -> object:
        if data.get("external_id"):
            return ("ext", data.get("external_source", ""), data["external_id"])
        if data.get("reference"):
            return ("ref", data["pledge_id"], data["reference"])
        return (
            "row",
            data["pledge_id"],
            data["received_on"],
            data["amount"],
            data["currency"],
        )

    def existing_values(self):
        yield from (visible(Payment, self.user).values("pk", *self.compare).iterator())

    def pledge(self, pk: int) -> Pledge:
        if pk not in self.loaded:
            self.loaded[pk] = Pledge.objects.get(pk=pk)
        return self.loaded[pk]

    def values(self, values: dict, line: int) -> dict:
        ref = str(cell(self, values, "pledge") or "").strip()
        pledge_id = self.pledges.get(ref.lower()) or self.pledges.get(ref.lstrip("#"))
        if pledge_id is None:
            raise column_error(self, "pledge", ref, _("no pledge with this reference."))
        data: dict[str, Any] = {"pledge_id": pledge_id}
        data["received_on"] = parsed(
            self, values, "received_on", parse_date, dayfirst=self.options.dayfirst
        )
        if data["received_on"] is None:
            raise column_error(self, "received_on", "", _("no date."))
        amount, currency = self.money(values, default=self.pledge(pledge_id).currency)
        data["amount"], data["currency"] = amount, currency
        for name in ("reference", "external_id", "external_source", "notes"):
            if self.has(name):
                data[name] = str(cell(self, values, name) or "")
        return data

    def new_object(self, data: dict):
        payment = Payment(**data)
        payment.pledge = self.pledge(data["pledge_id"])
        return payment

    def clean_new(self, obj) -> None:
        try:
            obj.full_clean(
                exclude=["pledge", "installment", "import_batch"],
                validate_unique=False,
                validate_constraints=False,
            )
        finally:
            # clean() converted the amount; the service converts again on save.
            obj.chf_rate = obj.pledge_rate = None

    def write(self, plans, progress) -> None:
        created = []
        for done, result in enumerate(plans, start=1):
            if result.outcome == NEW:
                payment = result.plan
                pledge = self.pledge(payment.pledge_id)
                # A pledge the payment restages was changed by this batch: its
                # history row is tagged with it (saved only if the stage moves).
                self.stamp(pledge)
                created.append(
                    services.pledge_record_payment(
                        pledge=pledge,
                        amount=payment.amount,
                        received_on=payment.received_on,
                        currency=payment.currency,
                        reference=payment.reference,
                        external_source=payment.external_source,
                        external_id=payment.external_id,
                        notes=payment.notes,
                    ).pk
                )
            else:
                payment, _changes = result.plan
                self.stamp(payment.pledge)
                services.payment_save(payment=payment)
            if done % 100 == 0:
                progress(done)
        if self.batch is not None and self.batch.pk:
            for group in chunks(created):
                Payment.objects.filter(pk__in=group).update(import_batch=self.batch)
        progress(len(plans))
