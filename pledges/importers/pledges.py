"""Importable pledges.

Pledges take the fast path: every row is checked with the model's
``full_clean`` (the CHF equivalent comes from an in-memory rate table with
the same newest-on-or-before rule), then new pledges are inserted with
``bulk_create``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.imports.engine import (
    UNCHANGED,
    UPDATE,
    ModelImporter,
    RowError,
    cell,
    column_error,
    is_change,
    parsed,
    visible,
)
from crm.imports.registry import register
from crm.lib.formats import format_amount
from crm.lib.money import CHF, CarriedRate, MissingExchangeRate, RateTable, quantize
from crm.lib.names import normalize_name
from crm.lib.parse import parse_date
from partners.importers.matching import (
    PARTNER_COLUMNS,
    PartnerMatcher,
    choice_parser,
    partner_ref,
)
from partners.models import Partner
from pledges.importers.common import (
    AMOUNT_COLUMNS,
    CURRENCY_COLUMNS,
    EARMARKING,
    KINDS,
    STAGES,
    MoneyRowsMixin,
)
from pledges.models import (
    Lever,
    Pledge,
)


def lever_choices() -> list[tuple[str, str]]:
    """The import form's lever choices: the file's column, or an active lever."""
    return [
        ("", _("From the file's lever column")),
        *Lever.objects.active()
        .order_by("position", "name")
        .values_list("code", "name"),
    ]


@register
class PledgeImporter(MoneyRowsMixin, ModelImporter):
    name = "pledges"
    label = gettext_lazy("Pledges")
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
    derived = ("amount_chf", "chf_rate", "rate_date", "rate_source", "probability")
    clean_exclude = ("partner", "lever", "event", "owner")
    fast_insert = True
    source = ""
    # A file without a lever column needs the lever chosen on the form
    # (``--lever``): no lever is assumed. FTS exports never carry one; their
    # lever falls back to the first active one, listed on the preview.
    asks_lever: ClassVar[bool] = True

    @classmethod
    def option_fields(cls) -> dict[str, Any]:
        from django import forms
        from django.utils.translation import gettext_lazy

        return {
            "lever": forms.ChoiceField(
                label=gettext_lazy("Lever"),
                required=False,
                choices=lever_choices,
                help_text=gettext_lazy(
                    "Pledges: the lever of rows whose file has no lever column or "
                    "whose lever cell is empty."
                ),
            )
        }

    def file_problem(self) -> str:
        code = self.options.lever
        if code and self.lever_by_code(code) is None:
            return _("There is no lever with the code %(code)r.") % {"code": code}
        if self.asks_lever and not self.has("lever") and not code:
            return _(
                "The file has no lever column: choose the lever of its pledges "
                "on the import form (command line: --lever CODE). Levers: %(codes)s."
            ) % {"codes": ", ".join(sorted(self.lever_codes))}
        return ""

    def lever_by_code(self, code: str) -> int | None:
        return self.lever_codes.get(code.strip().lower())

    def prepare(self, rows) -> None:
        super().prepare(rows)
        self.matcher = PartnerMatcher(self.options.partner_choices)
        self.rates = RateTable.load()
        self.levers = {}
        self.lever_names: dict[int, str] = {}
        for pk, code, name in Lever.objects.values_list("pk", "code", "name"):
            self.levers[normalize_name(code)] = pk
            self.levers[normalize_name(name)] = pk
            self.lever_names[pk] = name
        self.default_lever = None
        if self.options.lever:
            self.default_lever = self.lever_by_code(self.options.lever)
        elif not self.asks_lever:
            self.default_lever = (
                Lever.objects.active()
                .order_by("position", "name")
                .values_list("pk", flat=True)
                .first()
            )
        self.today = timezone.localdate()

    @cached_property
    def lever_codes(self) -> dict[str, int]:
        return {
            code.lower(): pk for pk, code in Lever.objects.values_list("pk", "code")
        }

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
                if self.has("lever"):
                    raise column_error(
                        self,
                        "lever",
                        "",
                        _("no lever; fill it in or choose one on the import form."),
                    )
                raise RowError(_("no lever given and no active lever to default to."))
            self.apply_default(_("lever"), self.lever_names[self.default_lever])
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
            data["stage"] = parsed(
                self, values, "stage", choice_parser(STAGES, "stage")
            )
        if self.has("kind"):
            data["kind"] = parsed(self, values, "kind", choice_parser(KINDS, "kind"))
        if self.has("earmarking"):
            data["earmarking"] = parsed(
                self, values, "earmarking", choice_parser(EARMARKING, "earmarking")
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
        stages = dict(Pledge.Stage.choices)
        if not data.get("stage"):
            data["stage"] = (
                Pledge.Stage.PLEDGED
                if data.get("pledged_on")
                else Pledge.Stage.PROSPECT
            )
            self.apply_default(_("stage"), stages[data["stage"]])
        if data["stage"] == Pledge.Stage.FULFILLED:
            # Payments make a pledge fulfilled; a file can only say it was pledged.
            data["stage"] = (
                Pledge.Stage.AGREEMENT_SIGNED
                if data.get("agreement_signed_on")
                else Pledge.Stage.PLEDGED
            )
            self.apply_default(
                _("stage"),
                _("%(stage)s (the file says fulfilled: payments decide that)")
                % {"stage": stages[data["stage"]]},
            )
        for name, choices in (
            ("kind", Pledge.Kind.choices),
            ("earmarking", Pledge.Earmarking.choices),
        ):
            if not data.get(name):
                value = Pledge._meta.get_field(name).get_default()
                self.apply_default(
                    Pledge._meta.get_field(name).verbose_name,
                    dict(choices).get(value, value),
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
            self.apply_default(_("title"), _("generated from partner and date"))
        for name in ("title", "agreement_reference", "purpose", "notes"):
            data.setdefault(name, "")
        return data

    def new_object(self, data: dict):
        pledge = Pledge(**data)
        on = pledge.conversion_date()
        pledge.carried_rate = self.carried_rate()
        try:
            chosen = self.rates.choose(
                pledge.currency, CHF, on, carried=pledge.carried_rate
            )
        except MissingExchangeRate as error:
            raise column_error(
                self, "currency", pledge.currency, error.messages[0]
            ) from error
        pledge.chf_rate, pledge.rate_date = chosen.rate, on
        pledge.rate_source = chosen.source
        return pledge

    def carried_rate(self) -> CarriedRate | None:
        """The rate the row being planned carries (FTS exchangeRate), if any."""
        return None

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

    def display_value(self, name: str, value: object) -> str:
        if value is not None and name == "partner_id":
            return self.matcher.names.get(value, str(value))
        if value is not None and name == "lever_id":
            return self.lever_names.get(value, str(value))
        if name == "amount" and value is not None:
            return format_amount(value)
        return super().display_value(name, value)

    def field_label(self, name: str) -> str:
        return super().field_label(name.removesuffix("_id"))

    def describe(self, outcome: str, plan) -> dict | None:
        """Partner and how it was matched, amount, CHF equivalent, dates, lever."""
        detail = super().describe(outcome, plan) or {}
        if outcome == UPDATE:
            if not is_change(plan) or not self.current:
                return detail or None
            _pk, changes = plan
            data = {**self.current, **changes}
        elif not isinstance(plan, Pledge):
            return None  # an FTS payment or correction: its own message says it
        else:
            data = {name: getattr(plan, name, None) for name in self.compare}
            data["partner"] = plan.partner if plan.partner_id is None else None
        found = self.matcher.last
        partner_id = data.get("partner_id")
        if partner_id:
            via = found.via if found and found.partner_id == partner_id else "id"
            detail["partner"] = [partner_id, self.matcher.names.get(partner_id), via]
        elif data.get("partner") is not None:
            detail["partner"] = [None, data["partner"].name, "new"]
        amount, currency = data.get("amount"), data.get("currency")
        if amount is not None and currency:
            detail["amount"] = [str(amount), currency]
            rate = source = None
            if isinstance(plan, Pledge) and plan.chf_rate is not None:
                # The rate the new pledge will store, chosen once (new_object).
                rate, on, source = plan.chf_rate, plan.rate_date, plan.rate_source
            else:
                on = data.get("pledged_on") or self.today
                try:
                    chosen = self.rates.choose(currency, CHF, on)
                    rate, source = chosen.rate, chosen.source
                except MissingExchangeRate:
                    pass
            if rate is not None:
                detail["chf"] = [
                    str(quantize(amount * rate)),
                    str(rate),
                    on.isoformat(),
                    str(source or ""),
                ]
        detail["dates"] = [
            [self.field_label(name), data[name].isoformat()]
            for name in ("pledged_on", "agreement_signed_on", "expected_by")
            if data.get(name)
        ]
        if data.get("lever_id"):
            detail["lever"] = self.lever_names.get(data["lever_id"], "")
        return detail

    def existing_by_pk(self, pk: int) -> dict:
        if not hasattr(self, "_by_pk"):
            self._by_pk = {p: values for p, values in self.existing.values()}
        return self._by_pk[pk]

    def before_create(self, objects: list) -> None:
        self.matcher.save_created()
        for pledge in objects:
            if pledge.partner_id is None and pledge.partner is not None:
                pledge.partner_id = pledge.partner.pk
