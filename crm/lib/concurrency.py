"""No silent overwrite: has a record changed since someone opened it?

A form (or an import, or the API) carries the *version* of each record it
shows: ``"<latest history id>:<fingerprint>"``. The fingerprint is a hash of
the record's stored values (concrete fields and many-to-many links, leaving
out the automatic timestamps), so a save that changed nothing does not count
as a change; the history id says which version was read, so a conflict can
name who changed what since then, from django-simple-history's versions.

``find_conflicts`` reads the records again under a row lock (PostgreSQL;
SQLite's ``IMMEDIATE`` transactions hold the write lock from their start),
so two saves of one record cannot both pass the check: the second waits for
the first and then sees its change.
Call it inside the transaction that saves. ``ensure_unchanged`` is the same
check for one record, for services: it raises ``EditConflict``.

What a conflict tells is limited to the versions the user may see
(``crm.history.history_visible_to``, the History page's rule): nothing
written while an engagement was confidential is described to someone
without the permission, after declassification too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise

from django.contrib.admin.utils import display_for_field
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from simple_history.utils import get_m2m_reverse_field_name

from crm.history import history_visible_to
from crm.lib.names import user_name

EMPTY = "—"


@dataclass(frozen=True)
class Change:
    """One field changed in one version: who, when, old and new, as text."""

    who: str
    when: str
    field: str
    old: str
    new: str

    def __str__(self) -> str:
        return _("%(who)s, %(when)s: %(field)s “%(old)s” → “%(new)s”") % {
            "who": self.who,
            "when": self.when,
            "field": self.field,
            "old": self.old,
            "new": self.new,
        }


@dataclass
class Conflict:
    """A record changed since it was read at version ``opened``."""

    record: models.Model | None
    opened: str
    current: str
    changes: list[Change] = field(default_factory=list)

    def messages(self) -> list[str]:
        if self.record is None:
            return [_("Someone deleted this record after you opened it.")]
        head = _(
            "“%(record)s” was changed by someone else after you opened it. "
            "Your values are kept here, and their changes to what you had not "
            "touched are filled in: check the changes listed, then save again to "
            "apply yours, or reload the page to discard yours."
        ) % {"record": self.record}
        if not self.changes:
            return [head, _("(No recorded change is available to show.)")]
        return [head, *(str(change) for change in self.changes)]


class EditConflict(ValidationError):
    """A record changed since the caller read it (see ``Conflict``)."""

    def __init__(self, conflict: Conflict):
        self.conflict = conflict
        super().__init__(conflict.messages(), code="conflict")


def version_token(record: models.Model) -> str:
    """The version of one record as loaded (one query for its history)."""
    return version_tokens([record])[record.pk]


def version_tokens(records: Iterable[models.Model]) -> dict:
    """``{pk: version}`` for records of one model, with one history query.

    Many-to-many links are read from the records' prefetch cache where
    there is one, else one query per record and list of links.
    """
    records = [record for record in records if record.pk is not None]
    if not records:
        return {}
    latest = _latest_history_ids(type(records[0]), [r.pk for r in records])
    return {
        record.pk: f"{latest.get(record.pk, 0)}:{_fingerprint(record)}"
        for record in records
    }


def find_conflicts(model: type[models.Model], versions: Mapping, *, user=None) -> dict:
    """``{pk: Conflict}`` for the records that changed since their version.

    ``versions`` maps a primary key to the version the caller read; an
    empty version is not checked (a client that does not send versions).
    Reads the records under a row lock: call it in the saving transaction.
    """
    versions = {pk: v for pk, v in versions.items() if v}
    if not versions:
        return {}
    queryset = model._base_manager.select_for_update().filter(pk__in=versions)
    m2m = [f.name for f in model._meta.many_to_many]
    if m2m:
        queryset = queryset.prefetch_related(*m2m)
    current = {record.pk: record for record in queryset.order_by("pk")}
    tokens = version_tokens(current.values())
    conflicts = {}
    for pk, opened in versions.items():
        key = model._meta.pk.to_python(pk)
        record = current.get(key)
        if record is None:
            conflicts[key] = Conflict(record=None, opened=opened, current="")
            continue
        now = tokens[key]
        if _digest(now) != _digest(opened):
            conflicts[key] = Conflict(
                record=record,
                opened=opened,
                current=now,
                changes=changes_since(record, opened, user=user),
            )
    return conflicts


def ensure_unchanged(*, record: models.Model, version: str, user=None) -> None:
    """Raise ``EditConflict`` if ``record`` changed since ``version``.

    For services, imports and the API: call it in the saving transaction,
    before changing the record; the row stays locked until it ends.
    """
    conflict = find_conflicts(type(record), {record.pk: version}, user=user).get(
        record.pk
    )
    if conflict is not None:
        raise EditConflict(conflict)


def changes_since(record: models.Model, opened: str, *, user=None) -> list[Change]:
    """The field changes made to ``record`` after version ``opened``.

    Only versions the user may see are read; each is compared with the
    previous one the user may see.
    """
    history = getattr(type(record), "history", None)
    if history is None:
        return []
    try:
        since = int(opened.split(":", 1)[0])
    except ValueError:
        return []
    versions = history.model.objects.filter(
        **{type(record)._meta.pk.attname: record.pk}, history_id__gte=since
    )
    versions = list(
        history_visible_to(versions, user)
        .select_related("history_user")
        .order_by("history_id")
    )
    if not versions or versions[0].history_id != since:
        # The version opened is gone or hidden: nothing to compare with.
        return []
    skipped = _skipped_fields(type(record))
    changes = []
    for older, newer in pairwise(versions):
        delta = newer.diff_against(
            older, excluded_fields=skipped, foreign_keys_are_objs=True
        )
        who = _user_name(newer.history_user)
        when = formats.localize(timezone.localtime(newer.history_date))
        for change in delta.changes:
            model_field = type(record)._meta.get_field(change.field)
            changes.append(
                Change(
                    who=who,
                    when=when,
                    field=str(model_field.verbose_name),
                    old=_display(model_field, change.old),
                    new=_display(model_field, change.new),
                )
            )
    return changes


def values_at(model: type[models.Model], pk, version: str) -> dict | None:
    """The record's values in ``version`` (``{field name: value}``), if kept.

    Foreign keys as primary keys, many-to-many links as sorted lists of
    primary keys, as ``current_values`` gives them. ``None`` when the version
    is not in the history.
    """
    history = getattr(model, "history", None)
    try:
        history_id = int(version.split(":", 1)[0])
    except ValueError:
        return None
    if history is None or not history_id:
        return None
    old = history.model.objects.filter(
        **{model._meta.pk.attname: pk}, history_id=history_id
    ).first()
    if old is None:
        return None
    values = {f.name: f.value_from_object(old) for f in model._meta.concrete_fields}
    for f in old._history_m2m_fields:
        links = getattr(history.model, f.name).model
        target = links._meta.get_field(get_m2m_reverse_field_name(f)).attname
        values[f.name] = sorted(getattr(old, f.name).values_list(target, flat=True))
    return values


def current_values(record: models.Model) -> dict:
    """``{field name: value}`` of a record as loaded, as ``values_at`` gives."""
    values = {f.name: f.value_from_object(record) for f in record._meta.concrete_fields}
    for f in record._meta.many_to_many:
        values[f.name] = sorted(_linked_pks(record, f.name))
    return values


# Internals -------------------------------------------------------------------


def _digest(version: str) -> str:
    return version.rsplit(":", 1)[-1]


def _skipped_fields(model: type[models.Model]) -> list[str]:
    """Fields the machine sets on every save (``auto_now``), not the user."""
    return [
        f.name
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]


def _fingerprint(record: models.Model) -> str:
    skipped = set(_skipped_fields(type(record)))
    values = {
        f.attname: f.value_to_string(record)
        for f in record._meta.concrete_fields
        if f.name not in skipped
    }
    for f in record._meta.many_to_many:
        values[f.name] = sorted(str(pk) for pk in _linked_pks(record, f.name))
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _linked_pks(record: models.Model, name: str) -> list:
    manager = getattr(record, name)
    cache = getattr(record, "_prefetched_objects_cache", {})
    if manager.prefetch_cache_name in cache:
        return [linked.pk for linked in manager.all()]
    return list(manager.values_list("pk", flat=True))


def _latest_history_ids(model: type[models.Model], pks: list) -> dict:
    history = getattr(model, "history", None)
    if history is None:
        return {}
    key = model._meta.pk.attname
    rows = (
        history.model.objects.filter(**{f"{key}__in": pks})
        .values(key)
        .annotate(latest=Max("history_id"))
        .values_list(key, "latest")
    )
    return dict(rows)


def _user_name(user) -> str:
    if user is None:
        return _("someone (no user recorded)")
    return user_name(user)


def _display(model_field, value) -> str:
    if isinstance(value, list):
        # Links of a many-to-many field: [{"partner": <Partner>}, ...].
        names = [str(v) for row in value for v in row.values() if v is not None]
        names = [name for name in names if not name.isdigit()] or names
        return ", ".join(sorted(names)) or EMPTY
    try:
        text = display_for_field(value, model_field, EMPTY)
    except (FieldDoesNotExist, TypeError, ValueError):
        text = str(value)
    return str(text)
