from __future__ import annotations

from django import forms

from outreach.models import Preference


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = Preference
        fields = ["daily", "weekly", "language"]
