"""Documents on the record pages, the documents list, downloads, e-mail upload.

Every way to a document's bytes goes through ``download_view``: the user
needs "Can view document" and must see the document (confidential ones only
with "Can view confidential engagements"); otherwise 404, as for a document
that never existed.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.forms import BaseGenericInlineFormSet
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.formsets import ManagementForm
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from crm.admin import ADMIN_CSS
from crm.admin_confidential import ConfidentialDeleteMixin
from crm.admin_helpers import NotFoundMixin, change_url
from crm.history import HistoryAdmin
from crm.lib.names import user_name
from documents.email_import import DuplicateEmail, email_record
from documents.forms import DocumentForm, EmailUploadForm
from documents.models import Document
from documents.services import document_max_bytes
from partners.managers import sees_confidential
from partners.models import Partner

EMAIL_JS = "documents/email_drop.js"


def download_link(document: Document):
    if not document.pk:
        return "-"
    return format_html(
        '<a href="{}">{}</a>',
        reverse("admin:documents_document_download", args=[document.pk]),
        _("Download"),
    )


class DocumentFormSet(BaseGenericInlineFormSet):
    @property
    def management_form(self):
        # A record form posted without the documents table (by a script, or
        # a page opened before documents existed) changes no document,
        # rather than failing as a tampered form.
        if self.is_bound and f"{self.prefix}-TOTAL_FORMS" not in self.data:
            form = ManagementForm(
                {f"{self.prefix}-TOTAL_FORMS": 0, f"{self.prefix}-INITIAL_FORMS": 0},
                auto_id=self.auto_id,
                prefix=self.prefix,
            )
            form.full_clean()
            return form
        return super().management_form


class DocumentInline(GenericTabularInline):
    """The documents of a partner, pledge, payment, engagement or meeting."""

    model = Document
    form = DocumentForm
    formset = DocumentFormSet
    fields = ["file", "type", "date", "description", "confidential", "download"]
    readonly_fields = ["download"]
    extra = 0
    verbose_name_plural = gettext_lazy("documents")
    view_on_site = False  # the download link says it

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if sees_confidential(request.user):
            return fields
        return [f for f in fields if f != "confidential"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = type("DocumentForm", (formset.form,), {"user": request.user})
        # "documents-0-file" rather than the generic key's long default.
        formset.get_default_prefix = classmethod(lambda cls: "documents")
        return formset

    @admin.display(description=gettext_lazy("download"))
    def download(self, obj: Document):
        if not obj.pk:
            return "-"
        return format_html("{} ({})", download_link(obj), obj.filename)


@admin.register(Document)
class DocumentAdmin(ConfidentialDeleteMixin, NotFoundMixin, HistoryAdmin):
    list_display = [
        "filename",
        "type",
        "date",
        "record_link",
        "description",
        "uploader",
        "download",
        "confidential",
    ]
    list_filter = ["type", ("content_type", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["filename", "description"]
    list_select_related = ["content_type", "uploaded_by"]
    readonly_fields = [
        "record_link",
        "download",
        "mime_type",
        "size",
        "uploader",
        "created_at",
    ]
    fieldsets = [
        (None, {"fields": ["record_link", "download", "type", "date", "description"]}),
        (gettext_lazy("Access"), {"fields": ["confidential"]}),
        (
            gettext_lazy("File"),
            {"fields": ["mime_type", "size", "uploader", "created_at"]},
        ),
    ]
    date_hierarchy = "date"

    class Media:
        css = ADMIN_CSS

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .visible_to(request.user)
            .prefetch_related("record")
        )

    def get_list_display(self, request):
        if sees_confidential(request.user):
            return self.list_display
        return [f for f in self.list_display if f != "confidential"]

    def get_fieldsets(self, request, obj=None):
        if sees_confidential(request.user):
            return self.fieldsets
        return [fs for fs in self.fieldsets if fs[1]["fields"] != ["confidential"]]

    def has_add_permission(self, request) -> bool:
        # Documents are added on the page of the record they belong to.
        return False

    def get_urls(self):
        return [
            path(
                "<path:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="documents_document_download",
            ),
            path(
                "record-email/",
                self.admin_site.admin_view(self.email_upload_view),
                name="documents_document_record_email",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise Http404
        try:
            document = self.get_queryset(request).get(pk=int(object_id))
        except (ValueError, Document.DoesNotExist):
            raise Http404 from None
        try:
            handle = document.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=document.filename,
            content_type=document.mime_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    def email_upload_view(self, request):
        if not (
            request.user.has_perm("partners.add_engagement")
            and request.user.has_perm("documents.add_document")
        ):
            raise PermissionDenied
        partner = None
        partner_id = request.POST.get("partner") or request.GET.get("partner")
        if partner_id:
            partner = get_object_or_404(
                Partner, pk=partner_id if partner_id.isdigit() else None
            )
        form = EmailUploadForm(
            request.POST or None,
            request.FILES or None,
            may_mark_confidential=sees_confidential(request.user),
        )
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                data = b"" if upload.size > document_max_bytes() else upload.read()
                result = email_record(
                    data=data,
                    name=upload.name,
                    size=upload.size,
                    user=request.user,
                    partner=partner,
                    confidential=form.cleaned_data.get("confidential", False),
                )
            except DuplicateEmail as error:
                if error.engagement is not None:
                    form.add_error(
                        "file",
                        format_html(
                            '{} <a href="{}">{}</a>',
                            _("This e-mail is already recorded as"),
                            change_url(error.engagement),
                            error.engagement,
                        ),
                    )
                else:
                    form.add_error("file", error.messages)
            except ValidationError as error:
                form.add_error("file", error.messages)
            else:
                self._report(request, result)
                return HttpResponseRedirect(change_url(result.engagement))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Record an e-mail"),
            "opts": self.model._meta,
            "form": form,
            "partner": partner,
            "max_mb": document_max_bytes() // 2**20,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/documents/record_email.html", context)

    def _report(self, request, result) -> None:
        self.message_user(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                _("The e-mail is recorded as"),
                change_url(result.engagement),
                result.engagement,
            ),
            messages.SUCCESS,
        )
        if result.kept_attachments:
            self.message_user(
                request,
                ngettext(
                    "%(count)d attachment kept as a document.",
                    "%(count)d attachments kept as documents.",
                    result.kept_attachments,
                )
                % {"count": result.kept_attachments},
                messages.SUCCESS,
            )
        for refusal in result.refused_attachments:
            self.message_user(
                request,
                _("Attachment not kept: %(reason)s") % {"reason": refusal},
                messages.WARNING,
            )
        if result.unknown:
            add = reverse("admin:partners_contact_add")
            links = format_html_join(
                ", ",
                '{} (<a href="{}">{}</a>)',
                (
                    (
                        str(address),
                        f"{add}?{urlencode(_contact_initial(address))}",
                        _("add contact"),
                    )
                    for address in result.unknown
                ),
            )
            self.message_user(
                request,
                format_html("{} {}", _("Addresses of no contact or staff:"), links),
                messages.WARNING,
            )

    @admin.display(description=gettext_lazy("record"))
    def record_link(self, obj: Document):
        record = obj.record
        if record is None:
            return "-"
        return format_html(
            '{}: <a href="{}">{}</a>',
            obj.content_type.model_class()._meta.verbose_name.capitalize(),
            change_url(record),
            record,
        )

    @admin.display(description=gettext_lazy("file"))
    def download(self, obj: Document):
        return download_link(obj)

    @admin.display(description=gettext_lazy("uploaded by"))
    def uploader(self, obj: Document) -> str:
        return user_name(obj.uploaded_by) if obj.uploaded_by_id else ""


def _contact_initial(address) -> dict[str, str]:
    """The "add contact" form's fields from an address: e-mail and name."""
    first, _space, last = address.name.rpartition(" ")
    initial = {"email": address.email}
    if last:
        initial["last_name"] = last
    if first:
        initial["first_name"] = first
    return initial


def email_upload_panel(request, partner=None):
    """The "Record an e-mail" box on a partner page, or ``None`` if not allowed."""
    if not (
        request.user.has_perm("partners.add_engagement")
        and request.user.has_perm("documents.add_document")
    ):
        return None
    return (
        "admin/documents/email_drop.html",
        {
            "form": EmailUploadForm(
                may_mark_confidential=sees_confidential(request.user)
            ),
            "partner": partner,
            "action": reverse("admin:documents_document_record_email"),
        },
    )
