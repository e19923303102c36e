"""Merging duplicate partners or contacts, and undoing a merge.

``partner_merge`` and ``contact_merge`` keep one record (the survivor), take
the values chosen field by field, move everything that pointed at the other
records to the survivor and delete the others; a partner's other names
become its aliases. What points at a partner or a contact is found through
``_meta.related_objects`` and the model's own many-to-many fields, so a
relation added later moves too, as do rows that point at them through a
generic key (documents kept on a partner). A link the survivor already has (the same
engagement, the same tag) is not doubled: the other's row is removed.

Each merge writes a ``MergeLog`` with everything needed to put it back:
``merge_undo`` restores every row as it was, ids included, while nothing the
merge touched has changed since; otherwise it refuses and lists the changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.lib.names import normalize_name
from partners.models import (
    Affiliation,
    Contact,
    Membership,
    MergeLog,
    Partner,
    PartnerAlias,
)

CHUNK = 5000


# Snapshots --------------------------------------------------------------------


def _dump_value(field: models.Field, obj: models.Model) -> str | None:
    value = getattr(obj, field.attname)
    return None if value is None else field.value_to_string(obj)


def _dump(obj: models.Model) -> dict[str, str | None]:
    """Every column of ``obj`` as text, exact (microseconds, decimals) and JSON-safe."""
    return {f.attname: _dump_value(f, obj) for f in obj._meta.concrete_fields}


def _load(model, data: dict[str, str | None]) -> dict:
    return {
        f.attname: None if data[f.attname] is None else f.to_python(data[f.attname])
        for f in model._meta.concrete_fields
        if f.attname in data
    }


def _row_dump(model, row: dict) -> dict[str, str | None]:
    """A row read with ``values()`` dumped like ``_dump``."""
    return _dump(model(**row))


def _chunks(items: Sequence, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _history_model(model):
    attribute = getattr(model._meta, "simple_history_manager_attribute", None)
    return getattr(model, attribute).model if attribute else None


def _write_history(model, ids: Sequence[int], *, user, reason: str) -> None:
    """One history version per row of ``ids``: the merge shows on their pages."""
    history = _history_model(model)
    if history is None or not ids:
        return
    manager = getattr(model, model._meta.simple_history_manager_attribute)
    for chunk in _chunks(list(ids), 1000):
        rows = list(model._base_manager.filter(pk__in=chunk))
        manager.bulk_history_create(
            rows, update=True, default_user=user, default_change_reason=reason
        )


# Relations --------------------------------------------------------------------


def _unique_partner(model, fk: models.Field) -> str | None:
    """The other column ``fk`` is unique with (a link table's far side), if one."""
    sets = [tuple(s) for s in model._meta.unique_together]
    sets += [
        tuple(c.fields)
        for c in model._meta.constraints
        if isinstance(c, models.UniqueConstraint) and c.condition is None
    ]
    for fields in sets:
        if fk.name in fields and len(fields) == 2:
            other = next(f for f in fields if f != fk.name)
            return model._meta.get_field(other).attname
    return None


def _relations(model) -> list[tuple[type[models.Model], models.Field]]:
    """Every (table, column) that points at ``model``, link tables included."""
    found = []
    for rel in model._meta.related_objects:
        if rel.many_to_many:
            through = rel.through
            fk = through._meta.get_field(rel.field.m2m_reverse_field_name())
        else:
            through, fk = rel.related_model, rel.field
        found.append((through, fk))
    for m2m in model._meta.many_to_many:
        through = m2m.remote_field.through
        found.append((through, through._meta.get_field(m2m.m2m_field_name())))
    return found


def _move(model, fk, *, survivor, others: list[int], exclude: Iterable[int]) -> dict:
    """Point ``model.fk`` at the survivor instead of the others; log it.

    A row that would repeat one the survivor has (same engagement, same tag,
    same alias) is deleted instead, and kept whole in the log.
    """
    manager = model._base_manager
    unique_with = _unique_partner(model, fk)
    exclude = list(exclude) if model is type(survivor) else []
    entry = {
        "model": model._meta.label,
        "field": fk.attname,
        "moved": {},
        "deleted": [],
    }
    taken: set = set()
    if unique_with:
        taken = set(
            manager.filter(**{fk.attname: survivor.pk}).values_list(
                unique_with, flat=True
            )
        )
    for other in others:
        rows = manager.filter(**{fk.attname: other}).exclude(pk__in=exclude)
        if unique_with:
            doubles = []
            for pk, value in rows.values_list("pk", unique_with):
                if value in taken:
                    doubles.append(pk)
                taken.add(value)
            if doubles:
                for chunk in _chunks(doubles):
                    kept = list(manager.filter(pk__in=chunk).values())
                    entry["deleted"] += [_row_dump(model, row) for row in kept]
                    manager.filter(pk__in=chunk).delete()
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            rows.update(**{fk.attname: survivor.pk})
            entry["moved"][str(other)] = ids
    return entry


def _move_generic(model, *, survivor, others: list[int]) -> list[dict]:
    """Point rows that name the others through a generic key at the survivor.

    The log entries have the shape of ``_move``'s: undoing puts the ids back.
    """
    content_type = ContentType.objects.get_for_model(model)
    entries = []
    for table in apps.get_models():
        for key in table._meta.private_fields:
            if not isinstance(key, GenericForeignKey):
                continue
            type_column = table._meta.get_field(key.ct_field).attname
            entry = {
                "model": table._meta.label,
                "field": key.fk_field,
                "moved": {},
                "deleted": [],
            }
            for other in others:
                rows = table._base_manager.filter(
                    **{type_column: content_type.pk, key.fk_field: other}
                )
                ids = list(rows.values_list("pk", flat=True))
                if ids:
                    rows.update(**{key.fk_field: survivor.pk})
                    entry["moved"][str(other)] = ids
            if entry["moved"]:
                entries.append(entry)
    return entries


def _check_parent(survivor, others: list[int]) -> None:
    if isinstance(survivor, Partner) and survivor.parent_id in others:
        raise ValidationError(
            _(
                "%(survivor)s has %(parent)s as its parent organisation; remove "
                "that link before merging them."
            )
            % {"survivor": survivor, "parent": survivor.parent}
        )


def _partner_conflicts(partners: list[Partner]) -> list[str]:
    ids = [p.pk for p in partners]
    names = {p.pk: str(p) for p in partners}
    problems = []
    by_kind = defaultdict(list)
    memberships = Membership.objects.filter(partner__in=ids, status="active").current()
    for membership in memberships:
        by_kind[membership.type, membership.sector].append(membership)
    for found in by_kind.values():
        if len({m.partner_id for m in found}) > 1:
            problems.append(
                _(
                    "Two active memberships of the same sector: %(list)s. End or "
                    "change one of them before merging."
                )
                % {
                    "list": "; ".join(
                        f"{m.get_type_display()} {m.sector} ({names[m.partner_id]})"
                        for m in found
                    )
                }
            )
    primaries = (
        Affiliation.objects.filter(partner__in=ids, is_primary=True)
        .filter(
            models.Q(end_date__isnull=True)
            | models.Q(end_date__gte=timezone.localdate())
        )
        .select_related("contact")
    )
    contacts = {}
    for affiliation in primaries:
        contacts.setdefault(affiliation.contact_id, affiliation)
    if len({a.partner_id for a in contacts.values()}) > 1 and len(contacts) > 1:
        problems.append(
            _(
                "Two primary contacts: %(list)s. Keep one primary contact before "
                "merging."
            )
            % {
                "list": "; ".join(
                    f"{a.contact} ({names[a.partner_id]})" for a in contacts.values()
                )
            }
        )
    return problems


# Field choices -----------------------------------------------------------------


def mergeable_fields(model) -> list[models.Field]:
    """The fields the merge page offers a choice for."""
    return [f for f in model._meta.concrete_fields if f.editable and not f.primary_key]


# Flags that, set on any of the records, stay set unless someone chooses
# otherwise: a person who asked not to be contacted stays so after a merge.
KEEP_IF_ANY = {"do_not_contact"}


def default_choices(records: Sequence[models.Model]) -> dict[str, int]:
    """For each field, whose value to keep: the survivor's, else the first filled one.

    ``records[0]`` is the survivor.
    """
    choices = {}
    for field in mergeable_fields(type(records[0])):
        chosen = records[0]
        if field.name in KEEP_IF_ANY:
            chosen = next((r for r in records if getattr(r, field.attname)), chosen)
        elif getattr(records[0], field.attname) in (None, ""):
            for record in records[1:]:
                if getattr(record, field.attname) not in (None, ""):
                    chosen = record
                    break
        choices[field.name] = chosen.pk
    return choices


# Merging ----------------------------------------------------------------------


def _merge(
    *,
    model,
    survivor: models.Model,
    others: Sequence[models.Model],
    field_choices: dict[str, int] | None,
    user,
) -> MergeLog:
    kind = MergeLog.Kind.PARTNER if model is Partner else MergeLog.Kind.CONTACT
    survivor = model.objects.select_for_update().get(pk=survivor.pk)
    other_ids = sorted({o.pk for o in others} - {survivor.pk})
    if not other_ids:
        raise ValidationError(_("Choose at least two different records to merge."))
    locked = {
        o.pk: o for o in model.objects.select_for_update().filter(pk__in=other_ids)
    }
    missing = set(other_ids) - set(locked)
    if missing:
        raise ValidationError(
            _("Record %(ids)s no longer exists; reload the page.")
            % {"ids": ", ".join(map(str, sorted(missing)))}
        )
    others = [locked[pk] for pk in other_ids]
    _check_parent(survivor, other_ids)
    if model is Partner:
        problems = _partner_conflicts([survivor, *others])
        if problems:
            raise ValidationError(problems)

    records = {r.pk: r for r in [survivor, *others]}
    choices = default_choices([survivor, *others]) | dict(field_choices or {})
    for name, pk in choices.items():
        if int(pk) not in records:
            raise ValidationError(
                _("The value of %(field)s must come from one of the merged records.")
                % {"field": name}
            )

    summary = _("%(survivor)s ← %(others)s") % {
        "survivor": survivor,
        "others": ", ".join(str(o) for o in others),
    }
    log = MergeLog.objects.create(
        kind=kind, survivor_id=survivor.pk, summary=summary[:500], merged_by=user
    )
    data = {
        "survivor_before": _dump(survivor),
        "others": [_dump(o) for o in others],
        "relations": [],
        "aliases": [],
    }

    for table, fk in _relations(model):
        entry = _move(table, fk, survivor=survivor, others=other_ids, exclude=other_ids)
        if entry["moved"] or entry["deleted"]:
            data["relations"].append(entry)
            moved = [pk for ids in entry["moved"].values() for pk in ids]
            _write_history(table, moved, user=user, reason=log.reason)
    for entry in _move_generic(model, survivor=survivor, others=other_ids):
        data["relations"].append(entry)
        moved = [pk for ids in entry["moved"].values() for pk in ids]
        _write_history(
            apps.get_model(entry["model"]), moved, user=user, reason=log.reason
        )

    for other in others:
        other._change_reason = log.reason
        other._history_user = user
        # Links were moved above; nothing is left to cascade.
        other.delete()

    for field in mergeable_fields(model):
        source = records[int(choices[field.name])]
        setattr(survivor, field.attname, getattr(source, field.attname))
    survivor.full_clean()
    survivor._change_reason = log.reason
    survivor._history_user = user
    survivor.save()

    if model is Partner:
        data["aliases"] = _add_aliases(
            survivor=survivor,
            names=[
                data["survivor_before"]["name"],
                data["survivor_before"]["name_fr"],
                *[o.name for o in others],
                *[o.name_fr for o in others],
            ],
            user=user,
        )
    survivor.refresh_from_db()
    data["survivor_after"] = _dump(survivor)
    log.data = data
    log.save(update_fields=["data"])
    return log


def _add_aliases(*, survivor: Partner, names: Iterable[str | None], user) -> list[int]:
    """The merged records' names as aliases of the survivor; the new aliases' ids."""
    own = {normalize_name(survivor.name), normalize_name(survivor.name_fr)}
    own |= set(survivor.aliases.values_list("normalized", flat=True))
    created = []
    for name in names:
        key = normalize_name(name)
        if not key or key in own:
            continue
        own.add(key)
        alias = PartnerAlias(
            partner=survivor,
            name=name,
            source=PartnerAlias.Source.MERGE,
            created_by=user,
        )
        alias.full_clean()
        alias.save()
        created.append(alias.pk)
    return created


@transaction.atomic
def partner_merge(
    *,
    survivor: Partner,
    others: Sequence[Partner],
    field_choices: dict[str, int] | None = None,
    user=None,
) -> MergeLog:
    """Merge ``others`` into ``survivor``, all or nothing; returns the log.

    ``field_choices`` maps a field name to the id of the record whose value
    to keep (default: the survivor's, else the first non-empty one). Refuses
    (``ValidationError``) two active memberships of the same sector or two
    primary contacts.
    """
    return _merge(
        model=Partner,
        survivor=survivor,
        others=others,
        field_choices=field_choices,
        user=user,
    )


@transaction.atomic
def contact_merge(
    *,
    survivor: Contact,
    others: Sequence[Contact],
    field_choices: dict[str, int] | None = None,
    user=None,
) -> MergeLog:
    """Merge ``others`` into ``survivor``, all or nothing; returns the log."""
    return _merge(
        model=Contact,
        survivor=survivor,
        others=others,
        field_choices=field_choices,
        user=user,
    )


# Undoing ----------------------------------------------------------------------


def _who(history_row) -> str:
    user = history_row.history_user
    name = (user.get_full_name() or user.get_username()) if user else _("someone")
    return _("%(who)s (%(when)s)") % {
        "who": name,
        "when": date_format(
            timezone.localtime(history_row.history_date), "DATETIME_FORMAT"
        ),
    }


def merge_changes(log: MergeLog) -> list[str]:
    """What changed since the merge among the records it touched (empty: none)."""
    data = log.data
    if "survivor_after" not in data:
        return [_("The merge log holds no record of what the merge moved.")]
    model = Partner if log.kind == MergeLog.Kind.PARTNER else Contact
    changes = []
    survivor = model._base_manager.filter(pk=log.survivor_id).first()
    if survivor is None:
        changes.append(_("The surviving record was deleted."))
    elif _dump(survivor) != data["survivor_after"]:
        last = (
            survivor.history.exclude(history_change_reason=log.reason)
            .filter(history_date__gt=log.merged_at)
            .select_related("history_user")
            .first()
        )
        changes.append(
            _("%(record)s was edited since the merge%(by)s.")
            % {
                "record": survivor,
                "by": (" " + _("by %(who)s") % {"who": _who(last)}) if last else "",
            }
        )
    for entry in data["relations"]:
        table = _model(entry["model"])
        moved = [pk for ids in entry["moved"].values() for pk in ids]
        still = 0
        for chunk in _chunks(moved):
            still += table._base_manager.filter(
                pk__in=chunk, **{entry["field"]: log.survivor_id}
            ).count()
        if still != len(moved):
            changes.append(
                ngettext(
                    "%(count)d %(what)s moved by the merge was deleted or moved.",
                    "%(count)d %(what)s moved by the merge were deleted or moved.",
                    len(moved) - still,
                )
                % {"count": len(moved) - still, "what": table._meta.verbose_name}
            )
        history = _history_model(table)
        if history is None or not moved:
            continue
        for chunk in _chunks(moved):
            edits = (
                history.objects.filter(
                    **{f"{table._meta.pk.attname}__in": chunk},
                    history_date__gt=log.merged_at,
                )
                .exclude(history_change_reason=log.reason)
                .select_related("history_user")
                .order_by("-history_date")
            )
            for row in edits[:20]:
                changes.append(
                    _("%(what)s “%(record)s” was changed by %(who)s.")
                    % {
                        "what": table._meta.verbose_name.capitalize(),
                        "record": row.instance,
                        "who": _who(row),
                    }
                )
    return changes


def _model(label: str):
    from django.apps import apps

    return apps.get_model(label)


@transaction.atomic
def merge_undo(*, log: MergeLog, user=None) -> MergeLog:
    """Put back every record and row ``log``'s merge changed, exactly.

    Refuses (``ValidationError`` listing what changed) when the merge was
    undone already or a record it touched changed since.
    """
    log = MergeLog.objects.select_for_update().get(pk=log.pk)
    if log.undone_at:
        raise ValidationError(_("This merge was undone already."))
    changes = merge_changes(log)
    if changes:
        raise ValidationError(
            [_("The merge cannot be undone: records changed since."), *changes]
        )
    model = Partner if log.kind == MergeLog.Kind.PARTNER else Contact
    log.undone_by = user
    try:
        _restore(log, model)
    except IntegrityError as error:
        raise ValidationError(
            _("The merge cannot be undone: %(error)s") % {"error": error}
        ) from error
    log.undone_at = timezone.now()
    log.undone_by = user
    log.save(update_fields=["undone_at", "undone_by"])
    return log


def _restore(log: MergeLog, model) -> None:
    data = log.data
    user = log.undone_by
    PartnerAlias.objects.filter(pk__in=data["aliases"]).delete()

    survivor = model._base_manager.get(pk=log.survivor_id)
    for attname, value in _load(model, data["survivor_before"]).items():
        setattr(survivor, attname, value)
    survivor._change_reason = log.undo_reason
    survivor._history_user = user
    survivor.save()

    for dumped in data["others"]:
        other = model(**_load(model, dumped))
        other._change_reason = log.undo_reason
        other._history_user = user
        other.save(force_insert=True)

    for entry in data["relations"]:
        table = _model(entry["model"])
        manager = table._base_manager
        moved = []
        for old, ids in entry["moved"].items():
            for chunk in _chunks(ids):
                manager.filter(pk__in=chunk).update(**{entry["field"]: int(old)})
            moved += ids
        if entry["deleted"]:
            manager.bulk_create(table(**_load(table, row)) for row in entry["deleted"])
        _write_history(table, moved, user=user, reason=log.undo_reason)

    # save() stamped the times: put the exact earlier values back.
    for dumped in [data["survivor_before"], *data["others"]]:
        values = _load(model, dumped)
        pk = values.pop(model._meta.pk.attname)
        model._base_manager.filter(pk=pk).update(**values)
