from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from documents.models import Document
from documents.services import ALLOWED, document_check_file, document_max_bytes


def _accept() -> str:
    return ",".join(f".{extension}" for extension in ALLOWED)


class DocumentForm(forms.ModelForm):
    """A document row: the upload is checked (type, bytes, size) before saving.

    The file input is a plain one: Django's default shows the file's storage
    URL, and documents are read only through the checked download view.
    """

    user = None  # set by DocumentInline.get_formset

    class Meta:
        model = Document
        fields = ["file", "type", "date", "description", "confidential"]
        widgets = {"file": forms.FileInput(attrs={"accept": _accept()})}

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None or "file" not in self.changed_data:
            return upload
        # A file over the limit is refused on its size, without reading it.
        data = upload.read() if upload.size <= document_max_bytes() else b""
        upload.seek(0)
        try:
            mime = document_check_file(name=upload.name, data=data, size=upload.size)
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        self.instance.filename = upload.name[:255]
        self.instance.mime_type = mime
        self.instance.size = upload.size
        if self.instance.uploaded_by_id is None and self.user is not None:
            self.instance.uploaded_by = self.user
        return upload


class EmailUploadForm(forms.Form):
    file = forms.FileField(
        label=_("E-mail file (.eml or .msg)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".eml,.msg"}),
    )
    confidential = forms.BooleanField(
        label=_("confidential"),
        required=False,
        help_text=_("Visible only to staff allowed to see confidential engagements."),
    )

    def __init__(self, *args, may_mark_confidential: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_mark_confidential:
            del self.fields["confidential"]
