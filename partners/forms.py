"""Forms the admin uses beyond the generated ones."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from django import forms

from partners.models import FollowUp, format_class
from partners.services import followup_default_due_date


class FollowUpInlineForm(forms.ModelForm):
    """A follow-up logged on the engagement form, due in two weeks by default."""

    class Meta:
        model = FollowUp
        fields = ["description", "assignee", "due_date", "status"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "due_date" in self.fields and self.instance.pk is None:
            self.fields["due_date"].initial = followup_default_due_date


_VULGAR_INPUT = {"½": "1/2", "¼": "1/4", "⅛": "1/8", "¾": "3/4"}


class ContributionClassField(forms.DecimalField):
    """A class of contribution typed and shown the way ITU writes it.

    Accepts "1/16", "½", "1½", "1 1/2", "0.0625" or "1,5"; shows 1/16, ½, 13.
    """

    def __init__(self, **kwargs) -> None:
        for key in ("max_digits", "decimal_places"):
            kwargs.pop(key, None)
        super().__init__(max_digits=9, decimal_places=5, **kwargs)
        self.widget.input_type = "text"
        self.widget.attrs.pop("step", None)
        self.widget.attrs.setdefault("size", 6)

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return format_class(value)
        return value

    def to_python(self, value):
        if isinstance(value, str):
            value = parse_class(value)
        return super().to_python(value)

    def widget_attrs(self, widget):
        return {}


def parse_class(text: str) -> str:
    """Turn "1½", "1 1/2" or "1/16" into a decimal string; leave the rest alone."""
    text = text.strip().replace(",", ".")
    for glyph, fraction in _VULGAR_INPUT.items():
        text = text.replace(glyph, f" {fraction}")
    parts = text.split()
    try:
        total = sum((Fraction(part) for part in parts), Fraction(0))
    except (ValueError, ZeroDivisionError):
        return text
    if not parts:
        return ""
    return str(Decimal(total.numerator) / Decimal(total.denominator))
