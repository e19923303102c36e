"""The "History" page of audited records: who changed what, when, old and new.

django-simple-history keeps a historical row per save; ``HistoryAdmin`` shows
them with their field changes. A record the user may not see (a confidential
engagement and its follow-ups, through ``get_queryset``) has no history page
for them: 404, as for a record that never existed. Reverting is off
(``SIMPLE_HISTORY_REVERT_DISABLED``): an old version is read, not restored,
so every change still goes through the forms and services.

Versions written while a record was confidential stay hidden from users
without the confidential permission, on the History page and the version
page, after the record is declassified too (``history_visible_to``): what
was said under confidentiality is not published by a later change of mind.

A model whose history keeps many-to-many links (``m2m_fields``: an
engagement's partners, contacts and staff) would get a version for the save
and one more for each list of links the form then sets, a removal and an
addition apart. Saved from the admin, it gets one version instead, written
once the links are saved: one line on the History page per save, with every
field and list of links that changed.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject, ModelChange, ModelDelta
from simple_history.utils import get_m2m_reverse_field_name

from crm.roles import CONFIDENTIAL_PERMISSION

CONFIDENTIAL_FIELD = "confidential"

# Change reasons are stored as stable English keys (imports, undo and merges
# find their rows by them) and shown in the reader's language.
_REASONS = [
    (re.compile(r"import batch (?P<n>\d+)"), gettext_lazy("import batch %(n)s")),
    (re.compile(r"undo import (?P<n>\d+)"), gettext_lazy("import %(n)s undone")),
    (re.compile(r"merge (?P<n>\d+)"), gettext_lazy("merge %(n)s")),
    (re.compile(r"merge (?P<n>\d+) undone"), gettext_lazy("merge %(n)s undone")),
    (re.compile(r"via API token (?P<name>.+)"), gettext_lazy("via API token %(name)s")),
    (re.compile(r"anonymised on request"), gettext_lazy("anonymised on request")),
]


def change_reason_display(reason: str | None) -> str:
    """A stored change reason ("merge 12") in the reader's language."""
    for pattern, text in _REASONS:
        match = pattern.fullmatch(reason or "")
        if match:
            return str(text) % match.groupdict()
    return reason or ""


def _flag(model: type[models.Model]) -> models.Field | None:
    try:
        field = model._meta.get_field(CONFIDENTIAL_FIELD)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.BooleanField) else None


def _confidential_owners(model: type[models.Model]) -> list[models.ForeignKey]:
    """The keys of ``model`` to audited records that can be confidential."""
    return [
        field
        for field in model._meta.concrete_fields
        if field.many_to_one
        and _flag(field.related_model) is not None
        and hasattr(field.related_model, "history")
    ]


def _owner_was_confidential(key: models.ForeignKey) -> dict[str, Coalesce]:
    """Whether the record ``key`` names was confidential when a version was written.

    Its version in force then is the newest written before; but the admin
    writes a record's version after those of the records edited inline with
    it (``HistoryAdmin.save_related``), so the next one may hold the state
    the record had in that save. Either being confidential hides the
    version: a version at the boundary is hidden rather than shown. A record
    without versions is read as it is now.
    """
    owner = key.related_model
    owner_pk = owner._meta.pk.attname
    owner_versions = owner.history.model._default_manager.filter(
        **{owner_pk: OuterRef(key.attname)}
    )
    before = owner_versions.filter(history_date__lte=OuterRef("history_date"))
    after = owner_versions.filter(history_date__gt=OuterRef("history_date"))
    before = before.order_by("-history_date", "-history_id")
    after = after.order_by("history_date", "history_id")
    now = owner._default_manager.filter(pk=OuterRef(key.attname))
    return {
        f"_{key.name}_before": Coalesce(
            Subquery(before.values(CONFIDENTIAL_FIELD)[:1]),
            Subquery(after.values(CONFIDENTIAL_FIELD)[:1]),
            Subquery(now.values(CONFIDENTIAL_FIELD)[:1]),
            Value(False),
            output_field=models.BooleanField(),
        ),
        f"_{key.name}_after": Coalesce(
            Subquery(after.values(CONFIDENTIAL_FIELD)[:1]),
            Value(False),
            output_field=models.BooleanField(),
        ),
    }


def history_visible_to(versions: models.QuerySet, user) -> models.QuerySet:
    """The versions among ``versions`` that ``user`` may read.

    A version is hidden from a user without the confidential permission when
    it was written while its record was confidential (the version's own
    ``confidential``), or while the record it belongs to was (a follow-up's
    engagement, read from the engagement's history), whatever they are now.
    """
    if user is None or user.has_perm(CONFIDENTIAL_PERMISSION):
        return versions
    model = versions.model.instance_type
    if _flag(model) is not None:
        versions = versions.filter(**{CONFIDENTIAL_FIELD: False})
    for key in _confidential_owners(model):
        flags = _owner_was_confidential(key)
        versions = versions.alias(**flags).filter(**dict.fromkeys(flags, False))
    return versions


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
        records = list(historical_records)
        for record in records:
            # Shown only: the page never saves the version.
            record.history_change_reason = change_reason_display(
                record.history_change_reason
            )
        m2m_fields = list(self.model.history.model._history_m2m_fields)
        if not m2m_fields:
            return super().set_history_delta_changes(
                request, historical_records, foreign_keys_are_objs
            )
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
            return history_visible_to(queryset, request.user)
        return queryset.none()

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not (request.user.is_superuser or self._visible(request, object_id)):
            raise Http404
        versions = history_visible_to(self.model.history.all(), request.user)
        if not versions.filter(history_id=version_id).exists():
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
