"""Saved views: a user's named list and report pages, with their filters.

The admin lists, renames and deletes a user's own views (anyone signed in to
the admin may keep some; nobody sees another user's). The "Save this view"
link on lists and report pages opens the add form with the page's path and
query string filled in; the start page lists them under "My saved views".
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from crm.admin_helpers import NotFoundMixin
from crm.admin_site import Panel
from crm.models import SavedView


def save_view_url(request: HttpRequest) -> str:
    """The add form of a saved view, filled in with the page being read."""
    query = request.GET.copy()
    for transient in ("p", "_changelist_filters", "e"):
        query.pop(transient, None)
    params = {"path": request.path, "query": query.urlencode()}
    return f"{reverse('admin:crm_savedview_add')}?{urlencode(params)}"


@admin.register(SavedView)
class SavedViewAdmin(NotFoundMixin, admin.ModelAdmin):
    list_display = ["name", "open_link", "path", "query", "created_at"]
    search_fields = ["name", "path", "query"]
    fields = ["name", "path", "query"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user=request.user)

    def _staff(self, request, obj=None) -> bool:
        user = request.user
        return (
            user.is_active and user.is_staff and (obj is None or obj.user_id == user.pk)
        )

    has_module_permission = _staff
    has_add_permission = _staff
    has_view_permission = _staff
    has_change_permission = _staff
    has_delete_permission = _staff

    def save_form(self, request, form, change):
        obj = super().save_form(request, form, change)
        if not change:
            obj.user = request.user
        return obj

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        class OwnForm(form):
            def clean(self):
                # The form leaves the owner out, so it skips the unique
                # (user, name) constraint: check it here, with the message.
                data = super().clean()
                name = data.get("name")
                mine = SavedView.objects.filter(user=request.user, name=name)
                if name and mine.exclude(pk=self.instance.pk).exists():
                    self.add_error(
                        "name", _("You already have a saved view of that name.")
                    )
                return data

        return OwnForm

    def response_add(self, request, obj, post_url_continue=None):
        if "_continue" in request.POST or "_addanother" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, _("Saved “%(name)s”.") % {"name": obj.name})
        return HttpResponseRedirect(obj.get_absolute_url())

    @admin.display(description=_("open"))
    def open_link(self, obj: SavedView) -> str:
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), _("Open"))


def start_page_panels(request: HttpRequest) -> list[Panel]:
    """My saved views, newest name order, one query."""
    if not (request.user.is_active and request.user.is_staff):
        return []
    views = list(SavedView.objects.filter(user=request.user).order_by("name")[:21])
    return [
        (
            "admin/crm/panels/saved_views.html",
            {
                "views": views,
                "rows": 20,
                "manage_url": reverse("admin:crm_savedview_changelist"),
            },
        )
    ]


admin.site.register_start_page_panels(start_page_panels, order=35)
