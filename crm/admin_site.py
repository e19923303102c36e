"""The admin site: its index is the task force's start page.

The start page is a list of panels, each a template and its context. Apps add
their own panels with ``site.register_start_page_panels(provider)`` from their
``admin.py``, so this module needs to know nothing about partners or pledges
(dependencies point from the apps to ``crm``, never back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from crm.admin_phrases import ModelPhrasesMixin

Panel = tuple[str, dict]
PanelProvider = Callable[[HttpRequest], Iterable[Panel]]


def render_panels(request: HttpRequest, panels: Iterable[Panel]) -> list[SafeString]:
    """Render (template_name, context) pairs, in order, for a page to include."""
    return [
        render_to_string(template_name, context, request=request)
        for template_name, context in panels
    ]


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    """Autocomplete results labelled by the ModelAdmin's ``autocomplete_label(obj)``
    when it has one (contacts: "H.E. Yuko Nakamura — Ambassador, Japan")."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        label = getattr(self.model_admin, "autocomplete_label", None)
        if label is not None:
            result["text"] = str(label(obj))
        return result


class CRMAdminSite(admin.AdminSite):
    site_header = _("Partner CRM")
    site_title = _("Partner CRM")
    index_title = _("Start page")

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        self._start_page_providers: list[tuple[int, PanelProvider]] = []
        self._search_finders: list[tuple[int, Callable]] = []

    def register_start_page_panels(
        self, provider: PanelProvider, *, order: int = 100
    ) -> PanelProvider:
        """Add ``provider(request) -> [(template_name, context), ...]`` to the index.

        Providers run in ``order`` (then registration order); registering the
        same provider twice has no effect.
        """
        if all(p is not provider for _order, p in self._start_page_providers):
            self._start_page_providers.append((order, provider))
            self._start_page_providers.sort(key=lambda item: item[0])
        return provider

    def register(self, model_or_iterable, admin_class=None, **options):
        """Register as Django does, with the model's sentences in agreeing French.

        Every ModelAdmin, ours and the libraries', gets ``ModelPhrasesMixin``
        (crm/admin_phrases.py) in front of its own class.
        """
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, ModelPhrasesMixin):
            admin_class = type(
                admin_class.__name__,
                (ModelPhrasesMixin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        return super().register(model_or_iterable, admin_class, **options)

    def get_start_page_panels(self, request: HttpRequest) -> list[Panel]:
        panels: list[Panel] = []
        for _order, provider in self._start_page_providers:
            panels.extend(provider(request))
        return panels

    def autocomplete_view(self, request):
        return LabelledAutocompleteJsonView.as_view(admin_site=self)(request)

    def register_search_group(self, finder: Callable, *, order: int = 100) -> Callable:
        """Add ``finder(request, term, limit) -> Group | None`` to the search box.

        Groups show in ``order``; see ``crm.search``. Registering the same
        finder twice has no effect.
        """
        if all(f is not finder for _order, f in self._search_finders):
            self._search_finders.append((order, finder))
            self._search_finders.sort(key=lambda item: item[0])
        return finder

    def get_search_finders(self) -> list[Callable]:
        return [finder for _order, finder in self._search_finders]

    def get_urls(self):
        from django.urls import path

        from crm import search

        return [
            path(
                "search/",
                self.admin_view(lambda request: search.search_view(self, request)),
                name="search",
            ),
            path(
                "search/suggest/",
                self.admin_view(lambda request: search.suggest_view(self, request)),
                name="search_suggest",
            ),
            *super().get_urls(),
        ]

    def index(self, request: HttpRequest, extra_context: dict | None = None):
        context = {
            "start_page_panels": render_panels(
                request, self.get_start_page_panels(request)
            ),
            **(extra_context or {}),
        }
        return super().index(request, extra_context=context)
