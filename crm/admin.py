"""Admin for the reference data: countries, their aliases, exchange rates."""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.health import worker_state
from crm.imports.admin import ImportMixin
from crm.imports.registry import get_importer
from crm.imports.services import WorkerRunning, batch_stop_waiting
from crm.imports.undo import import_batch_undo, may_undo, undo_refusals
from crm.lib.names import normalize_name
from crm.models import Country, CountryAlias, ExchangeRate, ExportLog, ImportBatch
from crm.resources import ExchangeRateResource

ADMIN_CSS = {"all": ["crm/admin.css"]}
# An error report is written in the uploaded file's form.
REPORT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".tsv": "text/tab-separated-values; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class YearListFilter(admin.SimpleListFilter):
    """Filter on the year of a date field; subclasses set ``date_field``."""

    title = _("year")
    parameter_name = "year"
    date_field = ""

    def lookups(self, request, model_admin):
        dates = model_admin.get_queryset(request).dates(
            self.date_field, "year", order="DESC"
        )
        return [(str(d.year), str(d.year)) for d in dates]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(**{f"{self.date_field}__year": int(value)})
        return queryset


class EffectiveYearListFilter(YearListFilter):
    date_field = "effective_date"


class CountryAliasForm(forms.ModelForm):
    """Refuse a spelling that normalises like an existing alias.

    ``normalized`` is not a form field, so the model's unique check skips it
    and a clash would only surface as a database error.
    """

    class Meta:
        model = CountryAlias
        fields = ["country", "name", "kind"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        clash = (
            CountryAlias.objects.filter(normalized=normalize_name(name))
            .exclude(pk=self.instance.pk)
            .select_related("country")
            .first()
        )
        if clash:
            raise ValidationError(
                gettext(
                    "“%(name)s” is already an alias of %(country)s, as “%(alias)s”."
                )
                % {"name": name, "country": clash.country, "alias": clash.name},
                code="unique",
            )
        return name


class ExchangeRateForm(forms.ModelForm):
    class Meta:
        model = ExchangeRate
        fields = ["currency", "effective_date", "units_per_usd", "source"]

    def clean_currency(self) -> str:
        # Upper-case before the model's currency validator sees "eur".
        return (self.cleaned_data.get("currency") or "").strip().upper()


class CountryAliasFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        seen: dict[str, str] = {}
        for form in self.forms:
            name = getattr(form, "cleaned_data", {}).get("name")
            if not name or self._should_delete_form(form):
                continue
            key = normalize_name(name)
            if key in seen:
                form.add_error(
                    "name",
                    gettext("“%(name)s” is the same name as “%(other)s”.")
                    % {"name": name, "other": seen[key]},
                )
            seen[key] = name


class CountryAliasInline(admin.TabularInline):
    model = CountryAlias
    form = CountryAliasForm
    formset = CountryAliasFormSet
    fields = ["name", "kind", "normalized"]
    readonly_fields = ["normalized"]
    extra = 1


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = [
        "name_en",
        "iso3",
        "itu_name",
        "itu_region",
        "income_group",
        "is_ldc",
        "is_itu_member_state",
        "itu_region_inferred",
    ]
    list_filter = [
        "itu_region",
        "income_group",
        "is_ldc",
        "is_itu_member_state",
        "itu_region_inferred",
        "is_observer",
    ]
    search_fields = [
        "name_en",
        "name_fr",
        "name_es",
        "itu_name",
        "formal_name",
        "=iso3",
        "=iso2",
        "=m49",
        "aliases__name",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["name_en", "name_fr", "name_es", "formal_name", "itu_name"]},
        ),
        (_("Codes"), {"fields": ["iso3", "iso2", "m49"]}),
        (
            _("Classification"),
            {
                "fields": [
                    "itu_region",
                    "itu_region_inferred",
                    "m49_region",
                    "m49_subregion",
                    "income_group",
                    "is_ldc",
                ]
            },
        ),
        (
            _("Membership"),
            {"fields": ["is_itu_member_state", "is_observer", "is_un_member"]},
        ),
    ]
    inlines = [CountryAliasInline]
    # The LDC list changes as countries graduate; regions get corrected.
    list_editable = ["itu_region", "is_ldc"]
    list_per_page = 200

    class Media:
        css = ADMIN_CSS

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        key = normalize_name(search_term)
        if key:
            by_alias = CountryAlias.objects.filter(normalized=key).values("country")
            results = results | queryset.filter(pk__in=by_alias)
        return results, may_have_duplicates


@admin.register(CountryAlias)
class CountryAliasAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "kind", "normalized"]
    list_filter = ["kind", "country__itu_region"]
    search_fields = ["name", "normalized", "country__name_en", "=country__iso3"]
    list_select_related = ["country"]
    autocomplete_fields = ["country"]
    readonly_fields = ["normalized"]
    fields = ["country", "name", "kind", "normalized"]
    form = CountryAliasForm


@admin.register(ExchangeRate)
class ExchangeRateAdmin(ImportMixin, admin.ModelAdmin):
    importers = ("exchange_rates",)
    resource_classes = [ExchangeRateResource]
    list_display = [
        "currency",
        "effective_date",
        "units_per_usd",
        "source",
        "updated_at",
    ]
    list_filter = ["currency", EffectiveYearListFilter, "source"]
    search_fields = ["=currency", "source"]
    readonly_fields = ["updated_at"]
    fields = ["currency", "effective_date", "units_per_usd", "source", "updated_at"]
    form = ExchangeRateForm
    date_hierarchy = "effective_date"
    list_per_page = 100


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    """Read-only: who exported what, when, how many rows.

    An audit record: only Administrators hold "view export" (``crm.roles``).
    """

    list_display = ["exported_at", "user", "source", "what", "file_format", "rows"]
    list_filter = ["source", "file_format"]
    search_fields = ["what", "user__username"]
    list_select_related = ["user"]
    readonly_fields = [
        "exported_at",
        "user",
        "source",
        "what",
        "file_format",
        "rows",
        "query",
    ]
    fields = readonly_fields
    date_hierarchy = "exported_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # An audit trail: only a superuser prunes it.
        return request.user.is_superuser


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Who imported what, when, from which file, and what came of it."""

    list_display = [
        "created_at",
        "file_name",
        "resource",
        "user",
        "status",
        "progress",
        "rows_new",
        "rows_updated",
        "rows_unchanged",
        "rows_skipped",
        "rows_error",
    ]
    list_filter = ["status", "resource", "dry_run"]
    search_fields = ["file_name", "checksum", "user__username"]
    list_select_related = ["user"]
    readonly_fields = [
        "resource_label",
        "user",
        "created_at",
        "finished_at",
        "status",
        "progress",
        "file_name",
        "file_size",
        "checksum",
        "sheet",
        "options_display",
        "dry_run",
        "background",
        "rows_total",
        "rows_new",
        "rows_updated",
        "rows_unchanged",
        "rows_skipped",
        "rows_error",
        "unknown_columns",
        "message",
        "report_link",
        "undone_at",
        "undone_by",
    ]
    fields = readonly_fields
    change_form_template = "imports/batch_change_form.html"
    # What repeats the file's content (``ImportBatch.shows_content_to``).
    content_fields = (
        "message",
        "unknown_columns",
        "options_display",
        "sheet",
        "report_link",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None or obj.shows_content_to(request.user):
            return fields
        return [f for f in fields if f not in self.content_fields]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        # The kept preview (a few hundred rows) is for the preview page only.
        return super().get_queryset(request).defer("preview")

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            context["preview_url"] = self.preview_url(request, obj)
            context["may_undo"] = obj.status == ImportBatch.Status.DONE and may_undo(
                request.user, obj
            )
            if obj.status in (ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING):
                # Work waiting on a worker that is not there would wait forever.
                context["worker"] = worker_state()
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def preview_url(self, request, batch: ImportBatch) -> str:
        """The batch's preview page, for its uploader, while it may be imported."""
        mine = batch.user_id == request.user.pk or request.user.is_superuser
        waiting = batch.status in (
            ImportBatch.Status.PREVIEWED,
            ImportBatch.Status.FAILED,
        )
        if not (mine and waiting):
            return ""
        try:
            opts = get_importer(batch.resource).model._meta
            return reverse(
                f"admin:{opts.app_label}_{opts.model_name}_import_preview",
                args=[batch.pk],
            )
        except (LookupError, NoReverseMatch):
            return ""

    def get_urls(self):
        return [
            path(
                "<int:batch_id>/report/",
                self.admin_site.admin_view(self.report_view),
                name="crm_importbatch_report",
            ),
            path(
                "<int:batch_id>/undo/",
                self.admin_site.admin_view(self.undo_view),
                name="crm_importbatch_undo",
            ),
            path(
                "<int:batch_id>/stop-waiting/",
                self.admin_site.admin_view(self.stop_waiting_view),
                name="crm_importbatch_stop_waiting",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("progress"))
    def progress(self, obj: ImportBatch) -> str:
        if obj.status in (ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING):
            return _("%(done)s of %(total)s rows (%(percent)s%%)") % {
                "done": obj.rows_done,
                "total": obj.rows_total or "?",
                "percent": obj.progress_percent,
            }
        return obj.get_status_display()

    @admin.display(description=_("imported as"))
    def resource_label(self, obj: ImportBatch) -> str:
        return obj.resource_label

    @admin.display(description=_("options"))
    def options_display(self, obj: ImportBatch) -> str:
        lines = obj.option_lines()
        if not lines:
            return "–"
        return format_html_join(
            "", "<div><strong>{}:</strong> {}</div>", ((k, v) for k, v in lines)
        )

    @admin.display(description=_("error report"))
    def report_link(self, obj: ImportBatch) -> str:
        if not obj.report:
            return "–"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:crm_importbatch_report", args=[obj.pk]),
            _("Download the rows with their errors"),
        )

    def undo_view(self, request, batch_id: int):
        """GET: what the undo will do, and who changed what since; POST: undo."""
        batch = get_object_or_404(ImportBatch, pk=batch_id)
        if not may_undo(request.user, batch):
            raise PermissionDenied
        page = reverse("admin:crm_importbatch_change", args=[batch.pk])
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Undo this import"),
                "batch": batch,
                "refusals": undo_refusals(batch, request.user),
            }
            return TemplateResponse(request, "imports/batch_undo.html", context)
        try:
            import_batch_undo(batch, request.user)
        except ValidationError as error:
            for message in error.messages:
                self.message_user(request, message, messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("Import undone: %(batch)s") % {"batch": batch},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(page)

    def stop_waiting_view(self, request, batch_id: int):
        """POST: give up on a batch no worker is running (uploader only)."""
        batch = get_object_or_404(ImportBatch, pk=batch_id)
        if request.method != "POST":
            raise Http404
        if batch.user_id != request.user.pk and not request.user.is_superuser:
            raise PermissionDenied
        page = reverse("admin:crm_importbatch_change", args=[batch.pk])
        try:
            stopped = batch_stop_waiting(batch=batch, user=request.user)
        except WorkerRunning:
            self.message_user(
                request,
                gettext("A background worker is running: the file is on its way."),
                messages.WARNING,
            )
            stopped = False
        if stopped:
            self.message_user(
                request,
                gettext(
                    "Stopped. Nothing of this run was written; preview or import "
                    "the file again once a worker runs."
                ),
                messages.SUCCESS,
            )
        return HttpResponseRedirect(page)

    def report_view(self, request, batch_id: int):
        batch = get_object_or_404(ImportBatch, pk=batch_id)
        # The error report repeats the uploaded rows: never for other readers
        # of the import log.
        if not batch.shows_content_to(request.user) or not batch.report:
            raise Http404
        extension = PurePath(batch.report.name).suffix.lower() or ".csv"
        return FileResponse(
            batch.report.open("rb"),
            as_attachment=True,
            filename=f"{PurePath(batch.file_name).stem}-errors{extension}",
            content_type=REPORT_TYPES.get(extension, "text/csv"),
        )


from crm import saved_views  # noqa: E402, F401 (registers the saved views admin)
