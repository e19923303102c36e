"""Importable pledges, payments and OCHA FTS flow exports.

Pledges take the fast path: every row is checked with the model's
``full_clean`` (the CHF equivalent comes from an in-memory rate table with
the same newest-on-or-before rule), then new pledges are inserted with
``bulk_create``. Payments go one by one through ``pledges.services``, which
restages the pledge they pay.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.utils import timezone
from django.utils.translation import gettext as _

from crm.imports.engine import (
    NEW,
    UNCHANGED,
    UPDATE,
    ModelResource,
    RowError,
    cell,
    chunks,
    column_error,
    parsed,
)
from crm.imports.registry import register
from crm.lib.currencies import currencies
from crm.lib.money import CHF, MissingExchangeRate, RateTable
from crm.lib.names import normalize_name
from crm.lib.parse import clean_name, parse_amount, parse_date
from partners.models import Partner
from partners.resources import (
    PARTNER_COLUMNS,
    PartnerMatcher,
    _lookup,
    choice_lookup,
    partner_ref,
)
from pledges import services
from pledges.models import Lever, Payment, Pledge

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
class PledgeResource(MoneyRowsMixin, ModelResource):
    name = "pledges"
    label = _("Pledges")
    model = Pledge
    fields: ClassVar = {
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
        query = Pledge.objects.values("pk", *self.compare)
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


@register
class FtsResource(PledgeResource):
    """OCHA Financial Tracking Service flow exports.

    pledge -> stage pledged, commitment -> agreement signed, paid -> a payment
    (the pledge created first if needed). The flow id is the external
    reference (source "fts"); amounts stay in their original currency, USD
    when ``originalCurrency`` is empty.
    """

    name = "fts"
    label = _("OCHA FTS flows")
    source = "fts"
    fast_insert = False  # the payments need the new pledges' keys
    fields: ClassVar = {
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
            Payment.objects.filter(external_source=self.source).values_list(
                "external_id", flat=True
            )
        )

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
        self._pay = (amount, currency, day) if status == "paid" else None
        return data

    def plan(self, values: dict, line: int):
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

    def write(self, plans, progress) -> None:
        payments = []
        for result in plans:
            if isinstance(result.plan, _Paid):
                payments.append(result.plan)
                result.plan = result.plan.plan
        super().write(plans, progress)
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
        if self.batch is not None and self.batch.pk:
            for group in chunks(created):
                Payment.objects.filter(pk__in=group).update(import_batch=self.batch)


class _Paid:
    def __init__(self, plan, flow, amount, currency, received_on) -> None:
        self.plan = plan
        self.flow = flow
        self.amount = amount
        self.currency = currency
        self.received_on = received_on


@register
class PaymentResource(MoneyRowsMixin, ModelResource):
    """Payments, each recorded through ``pledge_record_payment``."""

    name = "payments"
    label = _("Payments")
    model = Payment
    allow_negative = True  # refunds
    fields: ClassVar = {
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
        for pk, external_id, agreement in Pledge.objects.values_list(
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
        yield from Payment.objects.values("pk", *self.compare).iterator()

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
