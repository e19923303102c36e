"""Change forms that refuse to overwrite a change made since they were opened.

``VersionedAdminMixin`` (on a ModelAdmin) and ``VersionedInlineMixin`` (on
an inline) put each record's version (``crm.lib.concurrency``) in a hidden
field of its form. On save the versions are checked against the database,
rows locked, inside the admin's transaction; a record changed meanwhile makes
its form invalid with a message naming who changed what and when. The user's
values stay in the form and its version is moved to the current one, so
saving again applies them over the other change (re-apply); reloading the
page discards them.

Place the mixin right before the admin base class (``..., VersionedAdminMixin,
HistoryAdmin``; ``..., VersionedInlineMixin, admin.TabularInline``), so other
mixins that adjust the form's fields see the form class it builds.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.utils import flatten_fieldsets
from django.utils.translation import gettext_lazy as _

from crm.lib.concurrency import (
    current_values,
    find_conflicts,
    values_at,
    version_token,
    version_tokens,
)

VERSION_FIELD = "opened_version"


class VersionField(forms.CharField):
    """The hidden version; never a change of its own in the change message."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        # A stacked inline prints the label of a hidden field.
        kwargs.setdefault("label", _("Version opened"))
        super().__init__(required=False, **kwargs)

    def has_changed(self, initial, data) -> bool:
        return False


def _show_conflict(form: forms.BaseForm, conflict) -> None:
    """Name the conflict on the form and let the next save re-apply.

    The user's values stay; a field the other change touched and the user
    did not takes the other change's value, so saving again keeps both.
    """
    data = form.data.copy()
    data[form.add_prefix(VERSION_FIELD)] = conflict.current
    if conflict.record is not None:
        model = type(conflict.record)
        opened = values_at(model, conflict.record.pk, conflict.opened)
        if opened is not None:
            _carry_over(form, data, opened, current_values(conflict.record))
    form.add_error(None, conflict.messages())
    form.data = data


def _carry_over(form, data, opened: dict, now: dict) -> None:
    for name, field in form.fields.items():
        if name not in now or name not in opened or field.disabled:
            continue
        if isinstance(field.widget, forms.MultiWidget) or now[name] == opened[name]:
            continue
        if field.has_changed(opened[name], form[name].data):
            continue  # The user changed it too: theirs stays.
        key = form.add_prefix(name)
        value = field.prepare_value(now[name])
        if isinstance(field, forms.ModelMultipleChoiceField):
            data.setlist(key, [str(pk) for pk in value])
        elif isinstance(field, forms.BooleanField):
            if value:
                data[key] = "on"
            else:
                data.pop(key, None)
        else:
            data[key] = "" if value is None else str(value)


class VersionedFormMixin:
    """Added to the admin's ModelForm class: the version field and its check."""

    concurrency_user = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[VERSION_FIELD] = VersionField()
        if self.instance.pk is not None and not self.is_bound:
            self.initial[VERSION_FIELD] = version_token(self.instance)

    def clean(self):
        cleaned = super().clean()
        opened = self.cleaned_data.get(VERSION_FIELD)
        if self.instance.pk is not None and opened:
            model = type(self.instance)
            conflict = find_conflicts(
                model, {self.instance.pk: opened}, user=self.concurrency_user
            ).get(self.instance.pk)
            if conflict is not None:
                _show_conflict(self, conflict)
        return cleaned


class VersionedFormSetMixin:
    """Added to an inline's formset class: one bulk version read and check."""

    concurrency_user = None

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields[VERSION_FIELD] = VersionField()
        pk = form.instance.pk
        if pk is not None and not self.is_bound:
            form.initial[VERSION_FIELD] = self._opened_versions().get(pk, "")

    def _opened_versions(self) -> dict:
        if not hasattr(self, "_versions"):
            self._versions = version_tokens(self.get_queryset())
        return self._versions

    def clean(self):
        super().clean()
        forms_by_pk = {
            form.instance.pk: form
            for form in self.initial_forms
            if form.instance.pk is not None and hasattr(form, "cleaned_data")
        }
        opened = {
            pk: form.cleaned_data.get(VERSION_FIELD, "")
            for pk, form in forms_by_pk.items()
        }
        conflicts = find_conflicts(self.model, opened, user=self.concurrency_user)
        deleted_conflicts = []
        for pk, conflict in conflicts.items():
            form = forms_by_pk[pk]
            _show_conflict(form, conflict)
            if form.cleaned_data.get(forms.formsets.DELETION_FIELD_NAME):
                # A row marked for deletion is not validated again: say it here.
                deleted_conflicts.extend(conflict.messages())
        if deleted_conflicts:
            raise forms.ValidationError(deleted_conflicts, code="conflict")


def _without_version(fields) -> list[str]:
    return [name for name in fields if name != VERSION_FIELD]


def _form_fields(admin, request, obj, kwargs) -> list[str] | None:
    """The model fields to build the form with: the version is added later.

    ``fields=None`` asks for every field of the form (the admin's
    ``get_fields`` without declared fields): passed on as it is.
    """
    if "fields" in kwargs:
        fields = kwargs["fields"]
        return None if fields is None else _without_version(fields)
    return _without_version(flatten_fieldsets(admin.get_fieldsets(request, obj)))


def _add_version(fieldsets):
    (name, options), *rest = fieldsets
    return [(name, {**options, "fields": [*options["fields"], VERSION_FIELD]}), *rest]


class VersionedAdminMixin:
    """A ModelAdmin whose change form checks the record's version on save."""

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not self.has_change_permission(request, obj):
            return fieldsets
        return _add_version(fieldsets)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["fields"] = _form_fields(self, request, obj, kwargs)
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(
            form.__name__,
            (VersionedFormMixin, form),
            {"concurrency_user": request.user},
        )


class VersionedInlineMixin:
    """An inline whose rows check their versions on save."""

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not self.has_change_permission(request, obj):
            return fieldsets
        return _add_version(fieldsets)

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["fields"] = _form_fields(self, request, obj, kwargs)
        base = kwargs.get("formset", self.formset)
        kwargs["formset"] = type(
            base.__name__,
            (VersionedFormSetMixin, base),
            {"concurrency_user": request.user},
        )
        return super().get_formset(request, obj, **kwargs)
