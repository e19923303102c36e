"""The meeting's *Record the outcome* form: the engagement and its follow-ups."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.lib.names import user_name
from partners.managers import sees_confidential
from partners.models import Contact, Engagement, Partner
from partners.services import followup_default_due_date
from reports.models import Meeting


class ContactChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Contact) -> str:
        return obj.picker_label


class StaffChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return user_name(obj)


class AssigneeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return user_name(obj)


class MeetingOutcomeForm(forms.Form):
    """What was said and agreed, prefilled from the meeting's agenda."""

    date = forms.DateField(label=_("date"))
    kind = forms.ChoiceField(label=_("kind"), choices=Engagement.Kind.choices)
    subject = forms.CharField(label=_("subject"), max_length=200)
    partners = forms.ModelMultipleChoiceField(
        label=_("partners"),
        queryset=Partner.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    contacts = ContactChoices(
        label=_("contacts met"),
        queryset=Contact.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    staff = StaffChoices(
        label=_("staff"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    summary = forms.CharField(
        label=_("summary"), widget=forms.Textarea(attrs={"rows": 8}), required=False
    )
    outcome = forms.CharField(
        label=_("outcome"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    one_per_partner = forms.BooleanField(
        label=_("one engagement per partner"),
        required=False,
        help_text=_(
            "Otherwise one engagement lists all the partners. Follow-ups go on "
            "the engagement of their partner."
        ),
    )
    confidential = forms.BooleanField(label=_("confidential"), required=False)

    def __init__(self, *args, meeting: Meeting, user, **kwargs):
        today = timezone.localdate()
        staff = list(meeting.staff.all())
        kwargs.setdefault(
            "initial",
            {
                "date": timezone.localdate(meeting.starts_at),
                "kind": Engagement.Kind.MEETING,
                "subject": meeting.title,
                "partners": list(meeting.partners.all()),
                "contacts": list(meeting.counterparts.all()),
                "staff": staff or [user],
                "summary": meeting.agenda,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["partners"].queryset = meeting.partners.order_by("name")
        # The counterparts, and whoever is now at the meeting's partners.
        self.fields["contacts"].queryset = (
            Contact.objects.filter(
                Q(meetings=meeting)
                | Q(
                    Q(affiliations__end_date__isnull=True)
                    | Q(affiliations__end_date__gte=today),
                    affiliations__partner__meetings=meeting,
                )
            )
            .distinct()
            .with_picker_label([p.pk for p in meeting.partners.all()])
            .order_by("picker_rank", "last_name", "first_name", "pk")
        )
        self.fields["staff"].queryset = (
            get_user_model()
            .objects.filter(Q(meetings=meeting) | Q(pk=user.pk))
            .distinct()
            .order_by("username")
        )
        if not sees_confidential(user):
            # Someone who may not read confidential engagements cannot write one.
            del self.fields["confidential"]


class FollowUpRowForm(forms.Form):
    description = forms.CharField(label=_("what"), max_length=300, required=False)
    assignee = AssigneeChoice(
        label=_("assignee"), queryset=get_user_model().objects.none(), required=False
    )
    due_date = forms.DateField(label=_("due"), required=False)
    partner = forms.ModelChoiceField(
        label=_("partner"), queryset=Partner.objects.none(), required=False
    )

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, is_staff=True)
            .order_by("username")
        )
        self.fields["partner"].queryset = meeting.partners.order_by("name")

    @property
    def is_blank(self) -> bool:
        """A row with nothing said (no "what", no partner) is skipped: the
        assignee and due date come prefilled on every row."""
        data = getattr(self, "cleaned_data", {})
        return not (data.get("description", "").strip() or data.get("partner"))


class BaseFollowUpFormSet(forms.BaseFormSet):
    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), **self.form_kwargs}


FollowUpFormSet = forms.formset_factory(
    FollowUpRowForm, formset=BaseFollowUpFormSet, extra=0, max_num=20
)


FOLLOWUP_ROWS = 5


def followup_initial(user) -> list[dict]:
    """Empty rows, each for the user, due in two weeks."""
    due = followup_default_due_date()
    return [{"assignee": user.pk, "due_date": due} for _row in range(FOLLOWUP_ROWS)]
