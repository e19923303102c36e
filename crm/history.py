"""The "History" page of audited records: who changed what, when, old and new.

django-simple-history keeps a historical row per save; ``HistoryAdmin`` shows
them with their field changes. A record the user may not see (a confidential
engagement and its follow-ups, through ``get_queryset``) has no history page
for them: 404, as for a record that never existed. Reverting is off
(``SIMPLE_HISTORY_REVERT_DISABLED``): an old version is read, not restored,
so every change still goes through the forms and services.
"""

from __future__ import annotations

from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin


class HistoryAdmin(SimpleHistoryAdmin):
    def _visible(self, request, object_id) -> bool:
        pk_name = self.model._meta.pk.attname
        return self.get_queryset(request).filter(**{pk_name: object_id}).exists()

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        queryset = super().get_history_queryset(
            request, history_manager, pk_name, object_id
        )
        # A deleted record's history is shown to superusers only: whether it
        # was visible to others can no longer be asked of get_queryset.
        if request.user.is_superuser or self._visible(request, object_id):
            return queryset
        return queryset.none()

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not (request.user.is_superuser or self._visible(request, object_id)):
            raise Http404
        return super().history_form_view(
            request, object_id, version_id, extra_context=extra_context
        )
