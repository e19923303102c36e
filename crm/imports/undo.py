"""Undo an import: delete what a batch created, put back what it updated.

Everything comes from the history rows the batch wrote (``crm.imports.history``,
reason "import batch N"): a "+" row is a record the batch created, a "~" row
one it updated, whose earlier state is the history row just before it. The
undo refuses, listing who edited what and when, once any of those records has
a later history row (an edit by hand, a later import, a merge). Records a user
may not see are counted in that list, never named.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CASCADE, PROTECT, RESTRICT, ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.imports.history import audited_models, batch_reason
from crm.models import ImportBatch
from partners.managers import sees_confidential

UNDO_PERMISSION = "crm.undo_import"


def undo_reason(batch: ImportBatch) -> str:
    return f"undo import {batch.pk}"


def may_undo(user, batch: ImportBatch) -> bool:
    """Administrators (the permission), and the uploader for their own batch."""
    if user is None:
        return True  # a command run by the operator
    return user.has_perm(UNDO_PERMISSION) or (
        batch.user_id is not None and batch.user_id == user.pk
    )


def _history(model):
    return getattr(model, model._meta.simple_history_manager_attribute).model


def _written(batch: ImportBatch):
    """(model, history model, the batch's history rows) for each audited model."""
    reason = batch_reason(batch)
    for model in audited_models():
        history = _history(model)
        rows = list(
            history.objects.filter(history_change_reason=reason).order_by("history_id")
        )
        if rows:
            yield model, history, rows


def _visible(model, row, user) -> bool:
    """Whether ``user`` may see the record of history ``row``."""
    visible_to = getattr(model._default_manager.all(), "visible_to", None)
    if user is None or visible_to is None:
        return True
    pk = getattr(row, model._meta.pk.attname)
    if model._base_manager.filter(pk=pk).exists():
        return visible_to(user).filter(pk=pk).exists()
    # Deleted since: judge by what the history row says of it.
    return not getattr(row, "confidential", False) or sees_confidential(user)


def _who(row) -> str:
    from partners.merge import _who as who

    return who(row)


def _older_than_batch(batch: ImportBatch) -> list[str]:
    """Records the batch's history calls created that existed before it.

    The history row of a record seen for the first time says "+" even when
    the record was there already (written before history was kept, or in
    bulk): undoing would delete it. Where the model keeps ``created_at``,
    such records are found and the undo refuses.
    """
    found = []
    for model, _history_model, rows in _written(batch):
        if not any(f.name == "created_at" for f in model._meta.concrete_fields):
            continue
        pk_name = model._meta.pk.attname
        created = [getattr(r, pk_name) for r in rows if r.history_type == "+"]
        older = model._base_manager.filter(
            pk__in=created, created_at__lt=batch.created_at
        ).count()
        if older:
            found.append(
                ngettext(
                    "%(what)s: %(count)d record existed before the import.",
                    "%(what)s: %(count)d records existed before the import.",
                    older,
                )
                % {
                    "count": older,
                    "what": str(model._meta.verbose_name_plural).capitalize(),
                }
            )
    return found


def _dependents_since(batch: ImportBatch) -> list[str]:
    """Rows added or changed after the import that point at records it created.

    Undoing would delete them with their parent (an installment added to an
    imported pledge) or be stopped by them (a payment): either way the undo
    refuses. Counted per kind, never named: they may be confidential.
    """
    found = []
    for model, _history_model, rows in _written(batch):
        pk_name = model._meta.pk.attname
        created = [getattr(r, pk_name) for r in rows if r.history_type == "+"]
        if not created:
            continue
        for relation in model._meta.get_fields():
            if not (relation.one_to_many or relation.one_to_one) or relation.concrete:
                continue
            if relation.on_delete not in (CASCADE, PROTECT, RESTRICT):
                continue
            child = relation.related_model
            query = child._base_manager.filter(
                **{f"{relation.field.name}__in": created}
            )
            if child is model:
                query = query.exclude(pk__in=created)
            since = batch.finished_at or batch.created_at
            history = getattr(child._meta, "simple_history_manager_attribute", None)
            if history:
                # Written during the import and not since: the batch's own.
                rows = _history(child).objects.values(child._meta.pk.attname)
                during = rows.filter(
                    history_date__gte=batch.created_at, history_date__lte=since
                )
                later = rows.filter(history_date__gt=since)
                query = query.filter(~Q(pk__in=during) | Q(pk__in=later))
            elif any(f.name == "created_at" for f in child._meta.concrete_fields):
                query = query.filter(created_at__gt=since)
            else:
                continue
            count = query.count()
            if count:
                found.append(
                    ngettext(
                        "%(what)s: %(count)d record added or changed since the "
                        "import belongs to records it created.",
                        "%(what)s: %(count)d records added or changed since the "
                        "import belong to records it created.",
                        count,
                    )
                    % {
                        "count": count,
                        "what": str(child._meta.verbose_name_plural).capitalize(),
                    }
                )
    return found


def batch_changes(batch: ImportBatch, user=None) -> list[str]:
    """Who edited which record the batch wrote, since the batch (empty: none)."""
    changes: list[str] = []
    hidden = 0
    reason = batch_reason(batch)
    for model, history, rows in _written(batch):
        pk_name = model._meta.pk.attname
        first = {getattr(r, pk_name): r.history_id for r in reversed(rows)}
        since = min(first.values())
        later = (
            history.objects.filter(
                **{f"{pk_name}__in": list(first)}, history_id__gt=since
            )
            .exclude(history_change_reason=reason)
            .select_related("history_user")
            .order_by("-history_date")
        )
        for row in later:
            pk = getattr(row, pk_name)
            if row.history_id < first[pk]:
                continue
            if not _visible(model, row, user):
                hidden += 1
                continue
            changes.append(
                _("%(what)s “%(record)s” was changed by %(who)s.")
                % {
                    "what": model._meta.verbose_name.capitalize(),
                    "record": row.instance,
                    "who": _who(row),
                }
            )
    if hidden:
        changes.append(
            ngettext(
                "%(count)d record you may not see was changed since.",
                "%(count)d records you may not see were changed since.",
                hidden,
            )
            % {"count": hidden}
        )
    return changes


def undo_refusals(batch: ImportBatch, user=None) -> list[str]:
    """Why ``batch`` cannot be undone now (empty: it can)."""
    if batch.undone_at:
        return [_("This import was undone already.")]
    if batch.status != ImportBatch.Status.DONE:
        return [_("Only an imported file can be undone.")]
    older = _older_than_batch(batch)
    if older:
        return [
            _(
                "The import cannot be undone: it updated records that have no "
                "earlier history to restore them from."
            ),
            *older,
        ]
    changes = batch_changes(batch, user) + _dependents_since(batch)
    if changes:
        return [_("The import cannot be undone: records changed since."), *changes]
    return []


@transaction.atomic
def import_batch_undo(batch: ImportBatch, user=None) -> ImportBatch:
    """Undo ``batch``, all or nothing; ``ValidationError`` says why it cannot."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if not may_undo(user, batch):
        raise ValidationError(_("You may not undo this import."))
    refusals = undo_refusals(batch, user)
    if refusals:
        raise ValidationError(refusals)
    reason = undo_reason(batch)
    started = timezone.now()
    written = list(_written(batch))
    touched: dict = {
        m: {getattr(r, m._meta.pk.attname) for r in rows} for m, _h, rows in written
    }
    try:
        for model, history, rows in written:
            _restore_updated(model, history, rows, reason=reason, user=user)
        # Created records last, children before parents (reverse model order).
        for model, _history_model, rows in reversed(written):
            pk_name = model._meta.pk.attname
            created = [getattr(r, pk_name) for r in rows if r.history_type == "+"]
            touched.setdefault(model, set()).update(created)
            _delete(model, created, touched)
    except (IntegrityError, ProtectedError) as error:
        raise ValidationError(
            _("The import cannot be undone: %(error)s") % {"error": error}
        ) from error
    _forget_spellings(batch)
    for model, ids in touched.items():
        _history(model).objects.filter(
            **{f"{model._meta.pk.attname}__in": list(ids)},
            history_date__gte=started,
            history_change_reason__isnull=True,
        ).update(history_change_reason=reason, history_user=user)
    batch.status = ImportBatch.Status.UNDONE
    batch.undone_at = timezone.now()
    batch.undone_by = user
    batch.save(update_fields=["status", "undone_at", "undone_by"])
    return batch


def _forget_spellings(batch: ImportBatch) -> None:
    """The spellings confirmed in the batch stop being aliases with it."""
    from partners.models import PartnerAlias

    PartnerAlias.objects.filter(
        import_batch=batch, source=PartnerAlias.Source.IMPORT
    ).delete()


def _delete(model, ids, touched) -> None:
    """Delete the records the batch created; payments through their service,
    which restages the pledge they paid (one place for that rule)."""
    from pledges.models import Payment, Pledge
    from pledges.services import payment_delete

    if model is not Payment:
        model._base_manager.filter(pk__in=ids).delete()
        return
    for payment in Payment.objects.filter(pk__in=ids).select_related("pledge"):
        touched.setdefault(Pledge, set()).add(payment.pledge_id)
        payment_delete(payment=payment)


def _restore_updated(model, history, rows, *, reason: str, user) -> None:
    pk_name = model._meta.pk.attname
    for row in rows:
        if row.history_type != "~":
            continue
        before = (
            history.objects.filter(
                **{pk_name: getattr(row, pk_name)}, history_id__lt=row.history_id
            )
            .order_by("-history_id")
            .first()
        )
        if before is None:
            continue
        record = before.instance
        record._change_reason = reason
        record._history_user = user
        record.save()
        # save() stamps auto_now fields: put the exact earlier values back.
        values = {
            f.attname: getattr(before, f.attname)
            for f in model._meta.concrete_fields
            if not f.primary_key
        }
        model._base_manager.filter(pk=record.pk).update(**values)
        for field in history._history_m2m_fields:
            links = getattr(before, field.name).all()
            target = field.m2m_reverse_field_name()
            getattr(record, field.name).set(
                [getattr(link, f"{target}_id") for link in links]
            )
