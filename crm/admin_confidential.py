"""Delete confirmations that keep confidential records out of sight.

Django's delete confirmation (one record, or "Delete selected") lists every
record that would go with the one deleted and every record that protects it,
by name. For a user who may not see a confidential engagement, that list
would print its subject, and its follow-ups' descriptions.

``ConfidentialDeleteMixin`` answers instead: when records the user may not see
would be deleted with, or block, what they delete, the deletion is refused
with "N confidential records you cannot see depend on this; ask an
administrator", and the page names only the records the user may see. The
admin treats the message as a protected object: no "Yes, I'm sure"; a POST
deletes nothing and shows the page again.
Refusing rather than deleting silently: a user must not destroy, or change
the links of, records they cannot read.

A record is "guarded" when its model's manager has ``visible_to(user)``
(engagements and follow-ups); a row of a many-to-many table belongs to the
guarded record it links. The system check ``crm.E101`` makes every admin
whose model's deletion reaches a guarded record (cascades to it, is protected
by it) use the mixin, so a new admin cannot forget.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import NestedObjects, quote
from django.core import checks
from django.db import models, router
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import ngettext


def is_guarded(model: type[models.Model]) -> bool:
    """Whether some users may not see some records of ``model``."""
    return hasattr(model._default_manager, "visible_to")


def _guarding_keys(model: type[models.Model]) -> list[models.ForeignKey]:
    """The keys of a many-to-many table that point to a guarded record."""
    if not model._meta.auto_created:
        return []
    return [
        field
        for field in model._meta.concrete_fields
        if field.is_relation and is_guarded(field.related_model)
    ]


def _visible_pks(model, pks: set, user) -> set:
    if not pks:
        return set()
    return set(
        model._default_manager.visible_to(user)
        .filter(pk__in=pks)
        .values_list("pk", flat=True)
    )


def hidden_records(objs_by_model: dict, user) -> set[tuple[type, object]]:
    """The (model, pk) of the records among ``objs_by_model`` hidden from ``user``.

    A many-to-many row counts as its guarded record: deleting it changes a
    record the user may not see.
    """
    hidden: set[tuple[type, object]] = set()
    for model, objs in objs_by_model.items():
        objs = list(objs)
        if is_guarded(model):
            pks = {obj.pk for obj in objs}
            hidden |= {(model, pk) for pk in pks - _visible_pks(model, pks, user)}
        for key in _guarding_keys(model):
            owner = key.related_model
            pks = {getattr(obj, key.attname) for obj in objs}
            hidden |= {(owner, pk) for pk in pks - _visible_pks(owner, pks, user)}
    return hidden


class ConfidentialDeleteMixin:
    """Refuse a deletion that reaches records the user may not see; name none.

    ``get_protecting_records(objs)`` returns a queryset of more records that
    block the deletion but that Django's collector does not see (a signal
    refuses it): those the user may see are listed as protected, the others
    counted with the hidden ones.
    """

    max_protecting_listed = 100

    def get_protecting_records(self, objs) -> models.QuerySet | None:
        return None

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        objs = list(objs)
        if not objs:
            return deleted, model_count, perms_needed, protected
        collector = NestedObjects(using=router.db_for_write(self.model), origin=objs)
        collector.collect(objs)
        by_model: dict = {}
        for obj in collector.protected:
            by_model.setdefault(type(obj), []).append(obj)
        hidden = hidden_records(by_model, request.user)
        hidden |= hidden_records(collector.model_objs, request.user)
        extra = self._protecting_lines(objs, request.user, hidden)
        if not hidden:
            return deleted, model_count, perms_needed, [*protected, *extra]
        visible = [
            self._describe(obj)
            for obj in collector.protected
            if (type(obj), obj.pk) not in hidden
        ]
        message = ngettext(
            "%(count)d confidential record you cannot see depends on this; "
            "ask an administrator.",
            "%(count)d confidential records you cannot see depend on this; "
            "ask an administrator.",
            len(hidden),
        ) % {"count": len(hidden)}
        return [], {}, perms_needed, [*visible, *extra, message]

    def _protecting_lines(self, objs, user, hidden: set) -> list[str]:
        """The visible protecting records as lines; the hidden ones join ``hidden``."""
        records = self.get_protecting_records(objs)
        if records is None:
            return []
        model = records.model
        pks = set(records.values_list("pk", flat=True))
        visible = _visible_pks(model, pks, user) if is_guarded(model) else pks
        hidden |= {(model, pk) for pk in pks - visible}
        shown = list(
            model._default_manager.filter(pk__in=visible)[: self.max_protecting_listed]
        )
        lines = [self._describe(obj) for obj in shown]
        more = len(visible) - len(shown)
        if more:
            lines.append(
                ngettext("%(count)d more %(name)s", "%(count)d more %(name)s", more)
                % {
                    "count": more,
                    "name": model._meta.verbose_name
                    if more == 1
                    else model._meta.verbose_name_plural,
                }
            )
        return lines

    def _describe(self, obj) -> str:
        """``Label: name`` linked to its page, as Django's confirmation shows it."""
        opts = obj._meta
        label = capfirst(opts.verbose_name)
        if self.admin_site.is_registered(type(obj)):
            try:
                url = reverse(
                    f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                    args=[quote(obj.pk)],
                )
            except NoReverseMatch:
                pass
            else:
                return format_html('{}: <a href="{}">{}</a>', label, url, obj)
        return f"{label}: {obj}"


def reaches_guarded(model: type[models.Model], seen=None) -> bool:
    """Whether deleting a ``model`` record can delete or meet a guarded record.

    Follows the relations that point to ``model`` and cascade or protect: a
    guarded record (or a many-to-many row of one) found through any of them is
    met; the search goes on through cascades only, as a deletion does.
    """
    seen = set() if seen is None else seen
    if model in seen:
        return False
    seen.add(model)
    for relation in model._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete):
            continue
        if not (relation.one_to_many or relation.one_to_one):
            continue
        related = relation.related_model
        on_delete = relation.field.remote_field.on_delete
        if on_delete not in (models.CASCADE, models.PROTECT, models.RESTRICT):
            continue  # SET_NULL and the like leave the related record in place
        if is_guarded(related) or _guarding_keys(related):
            return True
        if on_delete is models.CASCADE and reaches_guarded(related, seen):
            return True
    return False


@checks.register(checks.Tags.admin)
def check_confidential_deletes(app_configs=None, **kwargs) -> list[checks.Error]:
    errors = []
    for model in apps.get_models():
        if not admin.site.is_registered(model):
            continue
        model_admin = admin.site.get_model_admin(model)
        if isinstance(model_admin, ConfidentialDeleteMixin):
            continue
        if reaches_guarded(model):
            errors.append(
                checks.Error(
                    f"{type(model_admin).__name__} deletes {model._meta.label} "
                    "records whose deletion reaches confidential records; its "
                    "delete confirmation would name them.",
                    hint="Add crm.admin_confidential.ConfidentialDeleteMixin "
                    "to its bases.",
                    obj=model_admin,
                    id="crm.E101",
                )
            )
    return errors
