"""The "Import" button of the changelists: upload, preview, confirm.

``ImportMixin`` adds to a ModelAdmin the import pages (and keeps
django-import-export's Export). Files up to ``BACKGROUND_ROWS`` rows are
previewed and imported in the request. Larger ones are previewed by a
background task: the import batch page shows its progress, then links to the
same preview page, whose *Import* queues the import the same way.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin

from crm.exports import EXPORT_FORMATS
from crm.imports import services
from crm.imports.engine import ImportOptions, Preview
from crm.imports.registry import get_importer
from crm.imports.services import (
    BatchBusy,
    batch_create,
    batch_data,
    batch_enqueue,
    batch_run,
    upload_check,
)
from crm.lib.formats import format_money, format_number
from crm.lib.tabular import TableError
from crm.models import ExportLog, ImportBatch
from crm.roles import EXPORT_PERMISSION, IMPORT_PERMISSION

# How the preview says a row found its partner (``PartnerMatch.via``).
MATCHED_VIA = {
    "id": _("by CRM id"),
    "code": _("by partner code"),
    "iso": _("by ISO country code"),
    "country": _("by country name"),
    "name": _("by name"),
    "alias": _("by alias"),
    "confirmed": _("by the spelling you confirmed"),
    "new": _("new partner, created by this import"),
}


def row_detail(detail: dict | None) -> dict | None:
    """What the preview shows of a row's result: links, formatted money, dates.

    Built from the JSON the batch keeps (``Importer.describe``), so showing
    the page runs no query per row.
    """
    if not detail:
        return None
    shown: dict = {"changes": detail.get("changes", []), "lever": detail.get("lever")}
    partner = detail.get("partner")
    if partner:
        pk, name, via = partner
        shown["partner"] = {
            "name": name,
            "url": reverse("admin:partners_partner_change", args=[pk]) if pk else "",
            "via": MATCHED_VIA.get(via, via),
        }
    if detail.get("amount"):
        amount, currency = detail["amount"]
        shown["amount"] = format_money(Decimal(amount), currency)
    if detail.get("chf"):
        chf, rate, on, source = detail["chf"]
        shown["chf"] = format_money(Decimal(chf), "CHF")
        shown["rate"] = format_number(Decimal(rate), 6)
        shown["rate_date"] = dt.date.fromisoformat(on)
        shown["rate_source"] = source
    shown["dates"] = [
        (label, dt.date.fromisoformat(day)) for label, day in detail.get("dates", [])
    ]
    return shown


class ImportOptionsForm(forms.Form):
    sheet = forms.CharField(
        label=_("Sheet"),
        required=False,
        help_text=_("Name or position of the sheet (XLSX); empty for the first."),
    )
    dates = forms.ChoiceField(
        label=_("Ambiguous dates like 03/04/2024 are"),
        choices=[
            ("dayfirst", _("day first (3 April)")),
            ("monthfirst", _("month first (4 March)")),
        ],
        initial="dayfirst",
    )
    create_partners = forms.BooleanField(
        label=_("Create partners that match none"), required=False
    )
    valid_rows_only = forms.BooleanField(
        label=_("Import the valid rows only"),
        required=False,
        help_text=_("By default a file with any error imports nothing."),
    )

    def __init__(self, *args, importers=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The importers' own options (the lever of a pledge file).
        for name in importers:
            for field_name, field in get_importer(name).option_fields().items():
                if field_name not in self.fields:
                    # Choices read once (one query), however often rendered.
                    field.choices = list(field.choices)
                    self.fields[field_name] = field

    def options(self, **extra) -> ImportOptions:
        data = self.cleaned_data
        return ImportOptions(
            sheet=data.get("sheet") or None,
            dayfirst=data.get("dates", "dayfirst") != "monthfirst",
            create_partners=bool(data.get("create_partners")),
            valid_rows_only=bool(data.get("valid_rows_only")),
            lever=data.get("lever") or None,
            **extra,
        )


class ImportUploadForm(ImportOptionsForm):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV, TSV or XLSX (Excel); first sheet by default."),
    )
    resource = forms.ChoiceField(label=_("Import as"))

    field_order = ["file", "resource"]

    def __init__(self, *args, importers=(), **kwargs) -> None:
        super().__init__(*args, importers=importers, **kwargs)
        self.fields["resource"].choices = [
            (name, get_importer(name).label) for name in importers
        ]
        if len(importers) == 1:
            self.fields["resource"].widget = forms.HiddenInput()
            self.fields["resource"].initial = importers[0]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_UPLOAD_MB
        if upload.size > limit * 2**20:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": limit}
            )
        # The type is read from the content, never from the name; a file over
        # the import limits is refused here, before anything is stored.
        try:
            self.rows = upload_check(data=upload.read(), file_name=upload.name or "")
        except TableError as error:
            raise forms.ValidationError(str(error)) from None
        finally:
            upload.seek(0)
        return upload


def _detect(importers: list[str], data: bytes, chosen: str) -> str:
    """Switch to an importer whose known format the headers show (FTS)."""
    head = data[:4096].decode("utf-8", "ignore").lower().replace("\ufeff", "")
    for name in importers:
        signature = get_importer(name).signature
        if signature and all(word in head for word in signature):
            return name
    return chosen


class ImportMixin(ExportMixin):
    """Import pages for a ModelAdmin; ``importers`` names the importers."""

    importers: tuple[str, ...] = ()
    import_export_change_list_template = "imports/change_list.html"
    # Written by crm.lib.spreadsheets, like every download.
    export_formats = EXPORT_FORMATS

    def has_import_permission(self, request) -> bool:
        return (
            request.user.has_perm(IMPORT_PERMISSION)
            and self.has_add_permission(request)
            and self.has_change_permission(request)
        )

    def get_export_data(self, file_format, request, queryset, **kwargs):
        """The file, from the format's writer; each export is logged.

        The library's own version picks native values (numbers, dates) for
        its formats only, by class; the writer's formats say which they want.
        """
        if not self.has_export_permission(request):
            raise PermissionDenied
        dataset = self.get_data_for_export(
            request,
            queryset,
            force_native_type=file_format.native_types,
            **kwargs,
        )
        data = file_format.export_data(dataset)
        ExportLog.record(
            request=request,
            source=ExportLog.Source.LIST,
            what=self.model._meta.verbose_name_plural,
            file_format=file_format.get_title(),
            rows=queryset.count(),
        )
        return data

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm(EXPORT_PERMISSION) and self.has_view_permission(
            request
        )

    def get_valid_export_item_pks(self, request):
        """The records ticked on the list that this user may see.

        Called when the list's *Export* action posts the ticked ids.
        django-import-export's own version lists every id of the table (and
        is deprecated); this one reads only the ids posted, among the records
        ``get_queryset`` shows this user (no confidential ones).
        """
        posted = [pk for pk in request.POST.getlist("export_items") if pk.isdigit()]
        return (
            self.get_queryset(request)
            .filter(pk__in=posted)
            .values_list("pk", flat=True)
        )

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}"
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{name}_import",
            ),
            path(
                "import/<int:batch_id>/",
                self.admin_site.admin_view(self.import_preview_view),
                name=f"{name}_import_preview",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["has_import_permission"] = bool(
            self.importers
        ) and self.has_import_permission(request)
        return super().changelist_view(request, extra_context)

    def _context(self, request, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "changelist_url": reverse(
                f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}"
                "_changelist"
            ),
            **extra,
        }

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        importers = list(self.importers)
        form = ImportUploadForm(
            request.POST or None, request.FILES or None, importers=importers
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data["file"].read()
            name = _detect(importers, data, form.cleaned_data["resource"])
            batch = batch_create(
                resource=name,
                data=data,
                file_name=form.cleaned_data["file"].name,
                options=form.options(),
                user=request.user,
                dry_run=True,
            )
            if form.rows > services.BACKGROUND_ROWS:
                batch_enqueue(batch=batch, dry_run=True, language=get_language())
                return self._queued(request, batch)
            batch_run(batch=batch, dry_run=True, data=data)
            return self._preview(request, batch)
        return TemplateResponse(
            request,
            "imports/import_form.html",
            self._context(
                request,
                _("Import %(name)s") % {"name": self.model._meta.verbose_name_plural},
                form=form,
                background_rows=services.BACKGROUND_ROWS,
                importers=[get_importer(name) for name in importers],
            ),
        )

    def import_preview_view(self, request, batch_id: int):
        """The preview of a batch (GET); preview again or import it (POST)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(ImportBatch, pk=batch_id)
        # The preview repeats the uploaded rows: their uploader's only.
        if batch.resource not in self.importers or (
            batch.user_id != request.user.pk and not request.user.is_superuser
        ):
            raise PermissionDenied
        batch_page = HttpResponseRedirect(
            reverse("admin:crm_importbatch_change", args=[batch.pk])
        )
        busy = _(
            "The file %(file)s is being previewed or imported; this page shows how far."
        )
        if batch.status in (ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING):
            messages.info(request, busy % {"file": batch.file_name})
            return batch_page
        if batch.status == ImportBatch.Status.DONE:
            if request.method == "POST":
                messages.warning(request, _("This file was imported already."))
            return batch_page
        if request.method != "POST":
            if not batch.preview:
                messages.warning(
                    request,
                    _("There is no preview of this file to show; upload it again."),
                )
                return batch_page
            return self._preview(request, batch)
        form = ImportOptionsForm(request.POST, importers=[batch.resource])
        form.is_valid()
        choices = {
            key.removeprefix("partner:"): int(value)
            for key, value in request.POST.items()
            if key.startswith("partner:") and value.isdigit()
        }
        options = form.options(partner_choices=choices)
        confirm = "confirm" in request.POST
        if batch.background:
            if not batch_enqueue(
                batch=batch,
                dry_run=not confirm,
                options=options,
                language=get_language(),
            ):
                messages.warning(request, busy % {"file": batch.file_name})
                return batch_page
            return self._queued(request, batch)
        data = batch_data(batch)
        try:
            result = batch_run(
                batch=batch, dry_run=not confirm, options=options, data=data
            )
        except BatchBusy as busy_now:
            # A second click or tab: the first one imports (or imported) it.
            messages.warning(request, str(busy_now))
            return batch_page
        if not confirm:
            return self._preview(request, batch)
        level = messages.SUCCESS if result.written else messages.ERROR
        messages.add_message(request, level, f"{batch.file_name}: {result.summary()}")
        if result.written:
            return HttpResponseRedirect(self._context(request, "")["changelist_url"])
        return self._preview(request, batch)

    def _queued(self, request, batch: ImportBatch):
        """Back to the batch page, which shows the background run's progress."""
        if batch.dry_run:
            text = _(
                "The file %(file)s is large: its preview is being prepared in "
                "the background. This page shows its progress and links to the "
                "preview when it is ready; you may close the browser."
            )
        else:
            text = _(
                "The file %(file)s is being imported in the background. This "
                "page shows its progress; you may close the browser."
            )
        messages.info(request, text % {"file": batch.file_name})
        return HttpResponseRedirect(
            reverse("admin:crm_importbatch_change", args=[batch.pk])
        )

    def _preview(self, request, batch: ImportBatch):
        """The preview page, from what the batch kept of its last run."""
        preview = Preview.from_dict(batch.preview)
        form = ImportOptionsForm(
            importers=[batch.resource],
            initial={
                "sheet": preview.sheet or "",
                "dates": "dayfirst"
                if batch.options.get("dayfirst", True)
                else "monthfirst",
                "create_partners": batch.options.get("create_partners"),
                "valid_rows_only": batch.options.get("valid_rows_only"),
                "lever": batch.options.get("lever") or "",
            },
        )
        counts = preview.counts
        can_import = not preview.file_error and (
            not preview.has_errors or batch.options.get("valid_rows_only")
        )
        return TemplateResponse(
            request,
            "imports/import_preview.html",
            self._context(
                request,
                _("Preview of %(file)s") % {"file": batch.file_name},
                batch=batch,
                result=preview,
                columns_read=[
                    (header, get_importer(batch.resource).column_label(name))
                    for name, header in preview.columns.items()
                ],
                counts=counts,
                rows=preview.rows,
                hidden_rows=preview.hidden_rows,
                form=form,
                can_import=can_import and (counts["new"] or counts["update"]),
                confirmed=batch.options.get("partner_choices", {}),
                importer=get_importer(batch.resource),
                defaults=[
                    (name, value, count) for name, value, count in preview.defaults
                ],
                shown_rows=[(row, row_detail(row.detail)) for row in preview.rows],
            ),
        )
