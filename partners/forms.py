"""Forms the admin uses beyond the generated ones."""

from __future__ import annotations

from django import forms

from partners.models import FollowUp
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
