"""Importable payments, each recorded through ``pledge_record_payment``."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.imports.engine import (
    NEW,
    ModelImporter,
    cell,
    chunks,
    column_error,
    parsed,
    visible,
)
from crm.imports.registry import register
from crm.lib.parse import parse_date
from pledges import services
from pledges.importers.common import (
    AMOUNT_COLUMNS,
    CURRENCY_COLUMNS,
    MoneyRowsMixin,
)
from pledges.models import (
    Payment,
    Pledge,
)


@register
class PaymentImporter(MoneyRowsMixin, ModelImporter):
    """Payments, each recorded through ``pledge_record_payment``."""

    name = "payments"
    label = gettext_lazy("Payments")
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
