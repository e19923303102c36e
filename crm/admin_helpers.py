"""Admin pieces shared by the apps' admin modules: links, titles, mixins."""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from crm.admin_site import Panel, render_panels


@admin.display(description=_("name"), ordering="name")
def display_name(obj) -> str:
    """A list column: the record's name in the reader's language (French if any)."""
    return obj.display_name


# The fieldset of who-created-when fields, shown on existing records only.
RECORD = _("Record")


def changelist_url(model, **params) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def titled(filter_class, title):
    """A field list filter shown under ``title`` instead of the field's name.

    ``memberships__type`` would otherwise be headed just "type".
    """

    class TitledFilter(filter_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    TitledFilter.__name__ = f"Titled{filter_class.__name__}"
    return TitledFilter


class RecordOnChangeMixin:
    """Leave the empty "Record" fieldset off the add form."""

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return [fs for fs in fieldsets if fs[0] is not RECORD]
        return fieldsets


class NotFoundMixin:
    """Answer 404 for a record outside ``get_queryset`` (hidden or gone).

    The admin's default redirects to the index with a "doesn't exist"
    message; change, history and delete addresses of a confidential
    engagement typed by someone without the permission get a plain 404.
    """

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404


class PanelsMixin:
    """Render the sections returned by ``get_panels()`` under the change form.

    Each panel is a ``(template_name, context)`` pair; the change form template
    prints them in order after the form.
    """

    def get_panels(self, request: HttpRequest, obj) -> list[Panel]:
        return []

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        if obj is not None and obj.pk is not None and not add:
            context["panels"] = render_panels(request, self.get_panels(request, obj))
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )
