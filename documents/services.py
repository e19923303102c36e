"""Documents: checking a file, attaching it to a record, listing what a user sees.

``document_check_file`` is the one place that decides whether a file may be
kept: its extension is one of ``ALLOWED``, its bytes are what the extension
says (``filetype`` for binary formats, the OLE streams for Word 97, Excel 97
and Outlook files, no binary signature and no NUL byte for text), and it is
no larger than ``DOCUMENT_MAX_MB``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath

import filetype
import olefile
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.lib.formats import format_number
from documents.models import Document
from partners.models import Engagement, Partner
from pledges.models import Payment, Pledge

# The records documents hang on, as "app_label.model".
DOCUMENT_MODELS = (
    "partners.partner",
    "partners.engagement",
    "pledges.pledge",
    "pledges.payment",
    "reports.meeting",
)

_OLE = "ole"
_TEXT = "text"
# extension: (content type served, how the bytes are checked)
ALLOWED: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "pdf"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    "doc": ("application/msword", _OLE),
    "xls": ("application/vnd.ms-excel", _OLE),
    "msg": ("application/vnd.ms-outlook", _OLE),
    "eml": ("message/rfc822", _TEXT),
    "png": ("image/png", "png"),
    "jpg": ("image/jpeg", "jpg"),
    "jpeg": ("image/jpeg", "jpg"),
    "txt": ("text/plain", _TEXT),
    "csv": ("text/csv", _TEXT),
}
# The stream an OLE file of each kind holds.
_OLE_STREAMS = {
    "doc": (("WordDocument",),),
    "xls": (("Workbook",), ("Book",)),
    "msg": (("__properties_version1.0",),),
}

# How a document reads in a brief: "Agreement signed 2026-03-02".
_LINE_FORMATS = {
    Document.Type.AGREEMENT: gettext_lazy("Agreement signed %(date)s"),
    Document.Type.NOTE_VERBALE: gettext_lazy("Note verbale of %(date)s"),
    Document.Type.LETTER: gettext_lazy("Letter of %(date)s"),
    Document.Type.REPORT: gettext_lazy("Report of %(date)s"),
    Document.Type.EMAIL: gettext_lazy("E-mail of %(date)s"),
    Document.Type.ATTACHMENT: gettext_lazy("E-mail attachment of %(date)s"),
    Document.Type.OTHER: gettext_lazy("Document of %(date)s"),
}


def document_max_bytes() -> int:
    return settings.DOCUMENT_MAX_MB * 2**20


def _extension(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")


def document_check_file(*, name: str, data: bytes, size: int | None = None) -> str:
    """The content type to serve ``data`` with, or ``ValidationError``.

    ``size`` is the file's size when ``data`` was not read (too large).
    """
    size = len(data) if size is None else size
    extension = _extension(name)
    if extension not in ALLOWED:
        raise ValidationError(
            _(
                "%(name)s: files of type “.%(extension)s” cannot be kept. "
                "Allowed: %(allowed)s."
            )
            % {
                "name": name,
                "extension": extension or "",
                "allowed": ", ".join(f".{e}" for e in ALLOWED if e != "jpeg"),
            },
            code="type",
        )
    if size > document_max_bytes():
        raise ValidationError(
            _(
                "%(name)s is %(size)s MB; documents may be at most %(max)s MB "
                "(setting DOCUMENT_MAX_MB)."
            )
            % {
                "name": name,
                "size": format_number(Decimal(size) / 2**20, 1),
                "max": settings.DOCUMENT_MAX_MB,
            },
            code="size",
        )
    if not data:
        raise ValidationError(_("%(name)s is empty.") % {"name": name}, code="empty")
    mime, check = ALLOWED[extension]
    if not _bytes_match(extension, check, data):
        raise ValidationError(
            _(
                "%(name)s is not a .%(extension)s file: its content is of another "
                "type. Save it in its own format and upload it again."
            )
            % {"name": name, "extension": extension},
            code="content",
        )
    return mime


def _bytes_match(extension: str, check: str, data: bytes) -> bool:
    if check == _TEXT:
        return filetype.guess(data[:8192]) is None and b"\x00" not in data[:65536]
    if check == _OLE:
        if not olefile.isOleFile(data=data):
            return False
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return any(ole.exists("/".join(path)) for path in _OLE_STREAMS[extension])
    # Office Open XML is told apart by the zip's members: the whole file.
    guess = filetype.guess(data if check in ("docx", "xlsx") else data[:8192])
    return guess is not None and guess.extension == check


@dataclass(frozen=True)
class Upload:
    """A file to keep: its name as the user knows it, and its bytes."""

    name: str
    data: bytes


@transaction.atomic
def document_attach(
    *,
    record: models.Model,
    upload: Upload,
    type: str = Document.Type.OTHER,
    date: dt.date | None = None,
    description: str = "",
    confidential: bool = False,
    user=None,
) -> Document:
    """Keep ``upload`` on ``record`` after checking its type and size."""
    if record._meta.label_lower not in DOCUMENT_MODELS:
        raise ValidationError(
            _("Documents cannot be attached to %(what)s.")
            % {"what": record._meta.verbose_name_plural}
        )
    mime = document_check_file(name=upload.name, data=upload.data)
    document = Document(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        type=type,
        description=description,
        filename=PurePath(upload.name).name[:255],
        mime_type=mime,
        size=len(upload.data),
        confidential=confidential,
        uploaded_by=user,
    )
    if date is not None:
        document.date = date
    document.file.save(upload.name, ContentFile(upload.data), save=False)
    document.full_clean()
    document.save()
    return document


def document_line(document: Document) -> str:
    return str(_LINE_FORMATS[document.type]) % {"date": document.date.isoformat()}


def documents_for(obj: models.Model, user) -> list[Document]:
    """The documents of ``obj`` that ``user`` may see, newest first (one query)."""
    return list(
        Document.objects.visible_to(user).of(obj).select_related("content_type")
    )


@dataclass(frozen=True)
class DocumentLine:
    id: int
    line: str
    filename: str
    description: str
    confidential: bool


def documents_by_partner(
    partner_ids: Iterable[int], user
) -> dict[int, list[DocumentLine]]:
    """The visible documents of each partner, its pledges, payments and engagements.

    Four queries whatever the number of partners: the keys of the records,
    then the documents. Engagements are those the user sees.
    """
    ids = list(partner_ids)
    owners: dict[tuple[type, int], set[int]] = defaultdict(set)
    for pk in ids:
        owners[Partner, pk].add(pk)
    for pk, partner in Pledge.objects.filter(partner__in=ids).values_list(
        "pk", "partner"
    ):
        owners[Pledge, pk].add(partner)
    for pk, partner in Payment.objects.filter(pledge__partner__in=ids).values_list(
        "pk", "pledge__partner"
    ):
        owners[Payment, pk].add(partner)
    links = Engagement.partners.through.objects.filter(
        partner__in=ids,
        engagement__in=Engagement.objects.visible_to(user),
    ).values_list("engagement", "partner")
    for engagement, partner in links:
        owners[Engagement, engagement].add(partner)
    if not owners:
        return {}
    types = ContentType.objects.get_for_models(
        *{model for model, _pk in owners}, for_concrete_models=True
    )
    by_type: dict[int, list[int]] = defaultdict(list)
    model_of = {}
    for model, pk in owners:
        by_type[types[model].pk].append(pk)
        model_of[types[model].pk] = model
    query = models.Q(pk__in=[])
    for type_id, pks in by_type.items():
        query |= models.Q(content_type_id=type_id, object_id__in=pks)
    result: dict[int, list[DocumentLine]] = defaultdict(list)
    for document in Document.objects.visible_to(user).filter(query):
        model = model_of[document.content_type_id]
        for partner in sorted(owners[model, document.object_id]):
            result[partner].append(
                DocumentLine(
                    id=document.pk,
                    line=document_line(document),
                    filename=document.filename,
                    description=document.description,
                    confidential=document.confidential,
                )
            )
    return dict(result)
