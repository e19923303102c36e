"""Admin pages for duplicates: possible duplicates, the merge page, the merge log.

``DuplicatesMixin`` gives the partner and contact admins a *Possible
duplicates* page, a side-by-side merge page (from a pair or from the list's
action), and a warning on the add form before a likely duplicate is saved.
The work is done by ``partners.duplicates`` and ``partners.merge``.
"""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_field
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.forms.models import construct_instance
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from partners import duplicates, merge
from partners.models import (
    Contact,
    DuplicateDismissal,
    Engagement,
    MergeLog,
    Partner,
    PartnerAlias,
)

MERGE_PERMISSION = "partners.merge_records"
PAIRS_PER_PAGE = 50
# Visible engagements listed for each record on the merge page.
ENGAGEMENTS_SHOWN = 5


class PartnerAliasInline(admin.TabularInline):
    """The partner's other names, who added each and from which import.

    Spellings confirmed during an import arrive here with their batch; a
    wrong one is removed by ticking *Delete*.
    """

    model = PartnerAlias
    fields = ["name", "source", "created_by", "created_at", "batch_link"]
    readonly_fields = ["created_by", "created_at", "batch_link"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")

    @admin.display(description=_("import batch"))
    def batch_link(self, obj) -> str:
        if not obj.import_batch_id:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:crm_importbatch_change", args=[obj.import_batch_id]),
            _("Batch %(id)s") % {"id": obj.import_batch_id},
        )


def _ids(text: str) -> list[int]:
    seen = []
    for part in (text or "").split(","):
        part = part.strip()
        if part.isdigit() and int(part) not in seen:
            seen.append(int(part))
    return seen


class DuplicatesMixin:
    """Possible duplicates, merging and the add form's warning for one model."""

    import_export_change_list_template = "admin/partners/duplicates_change_list.html"

    # The services for partners, else for contacts.
    def find_duplicates(self) -> list[duplicates.Pair]:
        if self.model is Partner:
            return duplicates.partner_duplicates()
        return duplicates.contact_duplicates()

    def find_lookalikes(self, obj) -> list[duplicates.Pair]:
        if self.model is Partner:
            return duplicates.partner_lookalikes(obj)
        return duplicates.contact_lookalikes(obj)

    def merge_records(self, **kwargs) -> MergeLog:
        if self.model is Partner:
            return merge.partner_merge(**kwargs)
        return merge.contact_merge(**kwargs)

    @property
    def _kind(self) -> str:
        return (
            DuplicateDismissal.Kind.PARTNER
            if self.model is Partner
            else DuplicateDismissal.Kind.CONTACT
        )

    def _url(self, name: str) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{name}")

    def has_merge_permission(self, request) -> bool:
        return request.user.has_perm(MERGE_PERMISSION) and self.has_change_permission(
            request
        )

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}"
        return [
            path(
                "duplicates/",
                self.admin_site.admin_view(self.duplicates_view),
                name=f"{name}_duplicates",
            ),
            path(
                "merge/",
                self.admin_site.admin_view(self.merge_view),
                name=f"{name}_merge",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["duplicates_url"] = self._url("duplicates")
        return super().changelist_view(request, extra_context)

    def save_formset(self, request, form, formset, change):
        if formset.model is PartnerAlias:
            for alias_form in formset.forms:
                if alias_form.instance.pk is None:
                    alias_form.instance.created_by = request.user
        super().save_formset(request, form, formset, change)

    # The list's action -------------------------------------------------------

    @admin.action(
        description=_("Merge selected records…"),
        permissions=["merge"],
    )
    def merge_selected(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True)[:20])
        if len(ids) < 2:
            self.message_user(
                request, _("Select two or more records to merge."), messages.WARNING
            )
            return None
        ids.sort()
        return HttpResponseRedirect(
            f"{self._url('merge')}?{urlencode({'ids': ','.join(map(str, ids))})}"
        )

    # Possible duplicates -----------------------------------------------------

    def duplicates_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        may_merge = self.has_merge_permission(request)
        if request.method == "POST":
            if not may_merge:
                raise PermissionDenied
            pair = _ids(request.POST.get("dismiss", ""))
            if len(pair) == 2:
                duplicates.duplicate_dismiss(
                    kind=self._kind, first=pair[0], second=pair[1], user=request.user
                )
                self.message_user(
                    request,
                    _("The pair will not be proposed again."),
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(request.get_full_path())
        pairs = self.find_duplicates()
        page = Paginator(pairs, PAIRS_PER_PAGE).get_page(request.GET.get("p"))
        wanted = {p.low for p in page} | {p.high for p in page}
        records = self._for_page(self.get_queryset(request).filter(pk__in=wanted))
        rows = [
            {
                "pair": pair,
                "first": records[pair.low],
                "second": records[pair.high],
                "merge_url": f"{self._url('merge')}?"
                + urlencode({"ids": f"{pair.low},{pair.high}"}),
            }
            for pair in page
            if pair.low in records and pair.high in records
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Possible duplicates: %(what)s")
            % {"what": self.model._meta.verbose_name_plural},
            "rows": rows,
            "page_obj": page,
            "count": len(pairs),
            "may_merge": may_merge,
        }
        return TemplateResponse(request, "admin/partners/duplicates.html", context)

    def _for_page(self, queryset) -> dict:
        if self.model is Partner:
            queryset = queryset.select_related("country")
        return {obj.pk: obj for obj in queryset}

    # The merge page ------------------------------------------------------------

    def merge_view(self, request):
        if not self.has_merge_permission(request):
            raise PermissionDenied
        source = request.POST if request.method == "POST" else request.GET
        ids = _ids(source.get("ids", ""))
        found = self.get_queryset(request).filter(pk__in=ids).in_bulk()
        records = [found[pk] for pk in ids if pk in found]
        if len(records) < 2:
            self.message_user(
                request,
                _("Two or more records are needed to merge; some no longer exist."),
                messages.WARNING,
            )
            return HttpResponseRedirect(self._url("changelist"))
        survivor_id = int(source.get("survivor") or records[0].pk)
        records.sort(key=lambda r: r.pk != survivor_id)
        survivor, others = records[0], records[1:]
        fields = merge.mergeable_fields(self.model)
        chosen = merge.default_choices(records)
        if request.method == "POST":
            chosen |= {
                f.name: int(request.POST[f"field_{f.name}"])
                for f in fields
                if request.POST.get(f"field_{f.name}", "").isdigit()
            }
            if "merge" in request.POST:
                try:
                    log = self.merge_records(
                        survivor=survivor,
                        others=others,
                        field_choices=chosen,
                        user=request.user,
                    )
                except ValidationError as error:
                    for message in error.messages:
                        self.message_user(request, message, messages.ERROR)
                else:
                    undo_url = reverse("admin:partners_mergelog_change", args=[log.pk])
                    self.message_user(
                        request,
                        format_html(
                            '{} <a href="{}">{}</a>',
                            _("Merged: %(summary)s.") % {"summary": log.summary},
                            undo_url,
                            _("Undo from the merge log"),
                        ),
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse(
                            f"admin:partners_{self.model._meta.model_name}_change",
                            args=[survivor.pk],
                        )
                    )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Merge %(what)s")
            % {"what": self.model._meta.verbose_name_plural},
            "records": records,
            "ids": ",".join(str(r.pk) for r in records),
            "survivor": survivor,
            "rows": self._field_rows(fields, records, chosen),
            "related": self._related(request, records),
        }
        return TemplateResponse(request, "admin/partners/merge.html", context)

    @staticmethod
    def _field_rows(fields, records, chosen) -> list[dict]:
        rows = []
        for field in fields:
            values = [getattr(r, field.attname) for r in records]
            cells = []
            for record in records:
                value = getattr(record, field.name)
                shown = display_for_field(value, field, "—")
                cells.append(
                    {
                        "pk": record.pk,
                        "value": shown,
                        "checked": chosen.get(field.name) == record.pk,
                    }
                )
            rows.append(
                {
                    "name": field.name,
                    "label": field.verbose_name,
                    "cells": cells,
                    "differ": len({str(v) for v in values}) > 1,
                }
            )
        return rows

    def _related(self, request, records) -> dict:
        """What each record has pointing at it: counts, and visible engagements.

        A confidential engagement is counted, never listed, for a user who may
        not see it. One query per kind of relation, whatever the records have.
        """
        ids = [r.pk for r in records]
        result = {r.pk: {"record": r} for r in records}
        link = "partners" if self.model is Partner else "contacts"
        counts = []
        for table, fk in merge._relations(self.model):
            if table is getattr(Engagement, link).through:
                continue
            found = dict(
                table._base_manager.filter(**{f"{fk.attname}__in": ids})
                .order_by()
                .values_list(fk.attname)
                .annotate(n=Count("pk"))
            )
            counts.append((relation_label(table, fk), [found.get(pk, 0) for pk in ids]))
        visible = Engagement.objects.visible_to(request.user)

        def per_record(queryset) -> dict[int, int]:
            return dict(
                queryset.filter(**{f"{link}__in": ids})
                .order_by()
                .values_list(link)
                .annotate(n=Count("pk"))
            )

        totals, shown = per_record(Engagement.objects.all()), per_record(visible)
        for pk in ids:
            result[pk]["engagement_count"] = totals.get(pk, 0)
            result[pk]["hidden_count"] = totals.get(pk, 0) - shown.get(pk, 0)
            result[pk]["engagements"] = list(
                visible.filter(**{link: pk}).order_by("-date")[:ENGAGEMENTS_SHOWN]
            )
        return {"columns": [result[pk] for pk in ids], "counts": counts}

    # The add form's warning -----------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None and request.method == "POST":
            fieldsets = [
                *fieldsets,
                (_("Possible duplicate"), {"fields": ["confirm_not_duplicate"]}),
            ]
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        fields = kwargs.get("fields")
        if fields and "confirm_not_duplicate" in fields:
            kwargs["fields"] = [f for f in fields if f != "confirm_not_duplicate"]
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form
        lookalikes = self.find_lookalikes

        class DuplicateWarningForm(form):
            confirm_not_duplicate = forms.BooleanField(
                label=_("Save anyway: it is not a duplicate"), required=False
            )

            def clean(self):
                data = super().clean()
                if self.errors or data.get("confirm_not_duplicate"):
                    return data
                candidate = construct_instance(self, self._meta.model())
                found = lookalikes(candidate)
                if found:
                    others = self._meta.model.objects.in_bulk([p.high for p in found])
                    raise ValidationError(
                        ngettext(
                            "This looks like an existing record: %(list)s. If it is "
                            "another one, tick “Save anyway” and save again.",
                            "This looks like existing records: %(list)s. If it is "
                            "another one, tick “Save anyway” and save again.",
                            len(found),
                        )
                        % {
                            "list": "; ".join(
                                f"{others[p.high]} ({', '.join(p.reasons)})"
                                for p in found
                                if p.high in others
                            )
                        }
                    )
                return data

        return DuplicateWarningForm


@admin.register(MergeLog)
class MergeLogAdmin(admin.ModelAdmin):
    list_display = ["merged_at", "kind", "summary", "merged_by", "undone_at"]
    list_filter = ["kind", ("undone_at", admin.EmptyFieldListFilter)]
    search_fields = ["summary"]
    list_select_related = ["merged_by", "undone_by"]
    readonly_fields = [
        "kind",
        "summary",
        "survivor_link",
        "merged_by",
        "merged_at",
        "undone_by",
        "undone_at",
    ]
    fields = readonly_fields
    change_form_template = "admin/partners/mergelog_change_form.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_undo_permission(self, request) -> bool:
        return request.user.has_perm(MERGE_PERMISSION)

    @admin.display(description=_("surviving record"))
    def survivor_link(self, obj: MergeLog):
        name = "partner" if obj.kind == MergeLog.Kind.PARTNER else "contact"
        return format_html(
            '<a href="{}">{}</a>',
            reverse(f"admin:partners_{name}_change", args=[obj.survivor_id]),
            obj.survivor_id,
        )

    def get_urls(self):
        return [
            path(
                "<int:object_id>/undo/",
                self.admin_site.admin_view(self.undo_view),
                name="partners_mergelog_undo",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        log = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if log is not None:
            extra_context |= {
                "details": merge_details(log),
                "may_undo": not log.undone_at and self.has_undo_permission(request),
                "changes": [] if log.undone_at else merge.merge_changes(log),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def undo_view(self, request, object_id: int):
        if request.method != "POST" or not self.has_undo_permission(request):
            raise PermissionDenied
        log = MergeLog.objects.filter(pk=object_id).first()
        if log is None:
            return HttpResponseRedirect(reverse("admin:partners_mergelog_changelist"))
        try:
            merge.merge_undo(log=log, user=request.user)
        except ValidationError as error:
            for message in error.messages:
                self.message_user(request, message, messages.ERROR)
        else:
            self.message_user(
                request,
                _("Merge undone: %(summary)s") % {"summary": log.summary},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(
            reverse("admin:partners_mergelog_change", args=[log.pk])
        )


def relation_label(table, fk) -> str:
    """How the merge pages name the rows of ``table`` that point through ``fk``."""
    if table is fk.remote_field.model:
        return _("child organisations")
    if table._meta.auto_created:
        far = next(f for f in table._meta.fields if f.is_relation and f.name != fk.name)
        return far.remote_field.model._meta.verbose_name_plural
    return table._meta.verbose_name_plural


def merge_details(log: MergeLog) -> dict:
    """What the merge log page shows: values overwritten, rows moved, records removed.

    Rows are counted per table, never listed: a confidential engagement's
    link is one row among the others.
    """
    data = log.data or {}
    before = data.get("survivor_before", {})
    after = data.get("survivor_after", {})
    model = Partner if log.kind == MergeLog.Kind.PARTNER else Contact
    overwritten = [
        (f.verbose_name, before.get(f.attname), after.get(f.attname))
        for f in merge.mergeable_fields(model)
        if before.get(f.attname) != after.get(f.attname)
    ]
    moved = []
    for entry in data.get("relations", []):
        table = apps.get_model(entry["model"])
        fk = table._meta.get_field(entry["field"].removesuffix("_id"))
        count = sum(len(ids) for ids in entry["moved"].values())
        moved.append((relation_label(table, fk), count, len(entry["deleted"])))
    removed = []
    for other in data.get("others", []):
        name = other.get("name") or " ".join(
            filter(None, (other.get("first_name"), other.get("last_name")))
        )
        removed.append((other.get("id"), name))
    return {
        "overwritten": overwritten,
        "moved": moved,
        "removed": removed,
        "aliases": len(data.get("aliases", [])),
    }
