"""The "History" page of audited records: who changed what, when, old and new.

django-simple-history keeps a historical row per save; ``HistoryAdmin`` shows
them with their field changes. A record the user may not see (a confidential
engagement and its follow-ups, through ``get_queryset``) has no history page
for them: 404, as for a record that never existed. Reverting is off
(``SIMPLE_HISTORY_REVERT_DISABLED``): an old version is read, not restored,
so every change still goes through the forms and services.

A model whose history keeps many-to-many links (``m2m_fields``: an
engagement's partners, contacts and staff) would get a version for the save
and one more for each list of links the form then sets, a removal and an
addition apart. Saved from the admin, it gets one version instead, written
once the links are saved: one line on the History page per save, with every
field and list of links that changed.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

from django.db import models
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject, ModelChange, ModelDelta
from simple_history.utils import get_m2m_reverse_field_name


def history_record_version(*, instance: models.Model, user, created: bool) -> None:
    """Write one history version of ``instance`` with its links as they are now."""
    history = type(instance).history
    (version,) = history.bulk_history_create(
        [instance], update=not created, default_user=user, default_change_reason=None
    )
    for field in history.model._history_m2m_fields:
        links = getattr(history.model, field.name).model
        through = field.remote_field.through
        rows = through.objects.filter(**{field.m2m_field_name(): instance.pk})
        links.objects.bulk_create(
            links(
                history=version,
                **{f.attname: getattr(row, f.attname) for f in through._meta.fields},
            )
            for row in rows
        )


class HistoryAdmin(SimpleHistoryAdmin):
    def _keeps_links(self) -> bool:
        return bool(self.model.history.model._history_m2m_fields)

    def save_model(self, request, obj, form, change):
        if self._keeps_links():
            # Written by save_related, once the links are saved too.
            obj.skip_history_when_saving = True
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        if getattr(obj, "skip_history_when_saving", False):
            del obj.skip_history_when_saving
            history_record_version(instance=obj, user=request.user, created=not change)

    def set_history_delta_changes(
        self, request, historical_records, foreign_keys_are_objs=True
    ):
        """Field changes of each version; the links of the page read in bulk.

        django-simple-history compares the links of two versions with two
        queries per list of links, and more for the linked records: some 15
        queries per line of the History page. Here the page's links and the
        records they point to are read once per list of links, so the page
        makes the same number of queries however long the history.
        """
        m2m_fields = list(self.model.history.model._history_m2m_fields)
        if not m2m_fields:
            return super().set_history_delta_changes(
                request, historical_records, foreign_keys_are_objs
            )
        records = list(historical_records)
        links = {field.name: _links_by_version(field, records) for field in m2m_fields}
        excluded = [field.name for field in m2m_fields]
        for newer, older in itertools.pairwise(records):
            delta = newer.diff_against(
                older,
                excluded_fields=excluded,
                foreign_keys_are_objs=foreign_keys_are_objs,
            )
            changes = list(delta.changes)
            for field in m2m_fields:
                before = links[field.name].get(older.history_id, [])
                after = links[field.name].get(newer.history_id, [])
                if [row.pk for row in before] != [row.pk for row in after]:
                    key = get_m2m_reverse_field_name(field)
                    changes.append(
                        ModelChange(
                            field.name,
                            [{key: row} for row in before],
                            [{key: row} for row in after],
                        )
                    )
            # In field-name order, as django-simple-history lists them.
            changes.sort(key=lambda change: change.field)
            delta = ModelDelta(changes, [c.field for c in changes], older, newer)
            helper = self.get_historical_record_context_helper(request, newer)
            newer.history_delta_changes = helper.context_for_delta_changes(delta)

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


def _links_by_version(field: models.ManyToManyField, versions) -> dict:
    """{history_id: [linked record or DeletedObject, ...]} in two queries."""
    history_model = field.model.history.model
    links_model = getattr(history_model, field.name).model
    target = field.related_model
    key = links_model._meta.get_field(get_m2m_reverse_field_name(field)).attname
    rows = links_model.objects.filter(
        history_id__in=[version.history_id for version in versions]
    ).values_list("history_id", key)
    rows = list(rows)
    records = target._default_manager.in_bulk({pk for _history, pk in rows})
    by_version: dict = defaultdict(list)
    for history_id, pk in rows:
        by_version[history_id].append(records.get(pk) or DeletedObject(target, pk))
    for linked in by_version.values():
        linked.sort(key=lambda record: (str(record), record.pk))
    return by_version
