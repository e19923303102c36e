"""Forms for the pledge admin: entry forms, the schedule, closing and reducing pages."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.lib.currencies import currency_choices
from pledges.models import Installment, Payment, Pledge


def _currency_choices_with_blank() -> list[tuple[str, str]]:
    return [("", _("Same as the pledge")), *currency_choices()]


class PledgeForm(forms.ModelForm):
    currency = forms.ChoiceField(label=_("Currency"), choices=currency_choices)

    class Meta:
        model = Pledge
        fields = [
            "partner",
            "title",
            "lever",
            "stage",
            "probability",
            "kind",
            "earmarking",
            "purpose",
            "amount",
            "currency",
            "pledged_on",
            "agreement_signed_on",
            "period_start",
            "period_end",
            "expected_by",
            "event",
            "owner",
            "agreement_reference",
            "external_source",
            "external_id",
            "closed_on",
            "closed_reason",
            "notes",
        ]
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "closed_reason": forms.Textarea(attrs={"rows": 2}),
        }


class PaymentForm(forms.ModelForm):
    currency = forms.ChoiceField(
        label=_("Currency"), choices=_currency_choices_with_blank, required=False
    )

    class Meta:
        model = Payment
        fields = [
            "pledge",
            "installment",
            "received_on",
            "amount",
            "currency",
            "reference",
            "external_source",
            "external_id",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}


class InstallmentInlineFormSet(forms.BaseInlineFormSet):
    """Checks the whole schedule against the pledge amount as submitted.

    Rows checked one by one against the database would refuse a schedule in
    which one installment shrinks while another grows, and would miss a pledge
    amount lowered in the same submission.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The pledge form, validated after this formset is built, leaves the
        # installments total to this formset.
        self.instance._installments_checked_by_formset = True

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance._total_checked_by_formset = True
        return form

    def clean(self) -> None:
        super().clean()
        amount = self.instance.amount
        if amount is None or any(self.errors):
            return
        total = Decimal(0)
        for form in self.forms:
            if not form.has_changed() and form.instance.pk is None:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            total += form.cleaned_data.get("amount") or 0
        if total > amount:
            raise ValidationError(
                _(
                    "The installments add up to %(currency)s %(total)s, more than "
                    "the pledge amount of %(currency)s %(amount)s."
                )
                % {
                    "currency": self.instance.currency,
                    "total": total,
                    "amount": amount,
                },
                code="installments_exceed_amount",
            )


class ScheduleForm(forms.Form):
    count = forms.IntegerField(
        label=_("Number of installments"), min_value=1, max_value=240, initial=4
    )
    frequency = forms.ChoiceField(
        label=_("Frequency"),
        choices=Installment.Frequency.choices,
        initial=Installment.Frequency.QUARTERLY,
    )
    first_due = forms.DateField(
        label=_("First due on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The next ones fall due on the same day of the month."),
    )
    replace = forms.BooleanField(
        label=_("Replace existing installments"),
        required=False,
        help_text=_(
            "Without this, pledges that already have a schedule are left as they are."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first_due"].initial = timezone.localdate()


class CloseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Kept on each pledge, e.g. “Budget cut for 2026”."),
    )
    on = forms.DateField(label=_("On"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class ReduceForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount taken off"),
        max_digits=18,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_(
            "In the pledge's currency. Taking off the whole amount withdraws the "
            "pledge."
        ),
    )
    on = forms.DateField(label=_("On"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Kept on the reduction, e.g. “Budget cut for 2026”."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
