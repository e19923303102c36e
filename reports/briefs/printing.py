"""Render a pack, print it with its log entry, or queue it for the worker.

``brief_print`` is the one way to print: admin views, the ``brief`` command
and the background task call it, and it writes the print log.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pypdf import PdfReader, PdfWriter

from crm.lib.pdf import PDF_CONTENT_TYPE, RenderedPdf, render_pdf_document
from reports.briefs.build import brief_build
from reports.briefs.data import BriefRequest, Pack, PartnerBrief
from reports.models import PrintLog

Document = tuple[str, str, bytes]

PRINT_PERMISSION = "reports.print_brief"
TEMPLATE = "reports/pdf/pack.html"

logger = logging.getLogger(__name__)


def background_partner_limit() -> int:
    """Packs with more partners than this are printed in the background."""
    return int(getattr(settings, "REPORTS_BACKGROUND_PARTNERS", 20))


def background_page_limit() -> int:
    """Packs estimated longer than this are printed in the background."""
    return int(getattr(settings, "REPORTS_BACKGROUND_PAGES", 50))


@dataclass(frozen=True)
class Printed:
    filename: str
    content: bytes
    pages: int

    @property
    def document(self) -> Document:
        return (self.filename, PDF_CONTENT_TYPE, self.content)


def pack_part_size() -> int:
    """Partner briefs laid out at a time in a long pack; 0 lays out every pack whole.

    WeasyPrint holds the layout of every page until it writes the PDF, so a
    long pack laid out whole costs memory in proportion to its pages; laid
    out in parts and merged, it costs about one part. The default matches
    ``background_partner_limit()``: packs printed on the spot stay whole.
    """
    return int(getattr(settings, "REPORTS_PACK_PART_PARTNERS", 20))


@dataclass(frozen=True)
class PackPart:
    """What one part of a pack laid out in parts shows (see ``pack.html``).

    The front part holds the cover, the agenda and the contact brief; the
    others a run of partner briefs, the last one the annex too. The front's
    contents give the page of each section from ``pages_of``, as the parts
    cannot see each other's pages.
    """

    front: bool
    briefs: Sequence[PartnerBrief] = ()
    annex: bool = False
    first_page: int = 1
    pages_of: dict[str, int] = field(default_factory=dict)
    total_pages: int | None = None


def brief_render(*, pack: Pack) -> Printed:
    """Lay the pack out as a PDF, in the pack's language.

    A pack with more partners than ``pack_part_size()`` is laid out in parts
    and merged, so memory stays bounded whatever its length.
    """
    size = pack_part_size()
    with translation.override(pack.language):
        if size and len(pack.briefs) > size:
            content, pages = _render_in_parts(pack, size)
        else:
            rendered = render_pdf_document(TEMPLATE, {"pack": pack})
            content, pages = rendered.content, rendered.pages
    return Printed(pack.filename, content, pages)


def _render_part(pack: Pack, part: PackPart) -> RenderedPdf:
    return render_pdf_document(TEMPLATE, {"pack": pack, "part": part})


def _render_in_parts(pack: Pack, size: int) -> tuple[bytes, int]:
    """Lay out the front, then ``size`` briefs at a time, and merge the PDFs.

    Page numbers run on across the parts; the front is laid out once to count
    its pages and again, at the end, with the page of every section.
    """
    first = _render_part(pack, PackPart(front=True))
    front_pages = first.pages
    pages_of = {anchor: page + 1 for anchor, page in first.anchors.items()}
    contents: list[bytes] = []
    next_page = front_pages + 1
    chunks = [pack.briefs[i : i + size] for i in range(0, len(pack.briefs), size)]
    for number, chunk in enumerate(chunks, start=1):
        rendered = _render_part(
            pack,
            PackPart(
                front=False,
                briefs=chunk,
                annex=number == len(chunks),
                first_page=next_page,
            ),
        )
        pages_of.update(
            {anchor: next_page + page for anchor, page in rendered.anchors.items()}
        )
        contents.append(rendered.content)
        next_page += rendered.pages
    total = next_page - 1
    front = _render_part(
        pack,
        PackPart(front=True, pages_of=pages_of, total_pages=total),
    )
    if front.pages != front_pages:
        # The contents' page numbers made the front longer: every later page
        # number is off by the difference. Not seen in practice; say so.
        logger.warning(
            "Pack %s: the front took %d pages, not %d.",
            pack.filename,
            front.pages,
            front_pages,
        )
    writer = PdfWriter()
    for content in [front.content, *contents]:
        writer.append(PdfReader(io.BytesIO(content)))
    metadata = PdfReader(io.BytesIO(front.content)).metadata
    if metadata:
        writer.add_metadata(metadata)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), total + front.pages - front_pages


def brief_is_large(pack: Pack) -> bool:
    """Whether to print ``pack`` in the background rather than on the spot."""
    return (
        len(pack.briefs) > background_partner_limit()
        or pack.estimated_pages > background_page_limit()
    )


def _log_user(user):
    return user if user is not None and user.is_authenticated else None


def _check_can_print(user) -> None:
    """Staff need the permission; the system and the command line do not."""
    if (
        user is not None
        and user.is_authenticated
        and not user.has_perm(PRINT_PERMISSION)
    ):
        raise ValidationError(
            _("You are not allowed to print briefs."), code="permission_denied"
        )


def _write_log(
    log: PrintLog, *, pack: Pack, printed: Printed, meeting_ids: Sequence[int]
) -> PrintLog:
    log.title = pack.title[:300]
    log.filename = printed.filename
    log.pages = printed.pages
    log.size_bytes = len(printed.content)
    log.includes_confidential = pack.includes_confidential
    log.save()
    log.partners.set(pack.partner_ids)
    if meeting_ids:
        log.meetings.set(meeting_ids)
    return log


def brief_print(
    *,
    request: BriefRequest,
    user=None,
    via: str = PrintLog.Via.ADMIN,
    pack: Pack | None = None,
) -> Document:
    """Build, render and log the document; return (filename, type, bytes).

    ``user`` decides what the document shows and is recorded in the print log;
    ``None`` is the system. Raises ``ValidationError`` when the user may not
    print or the request names records that do not exist.
    """
    _check_can_print(user)
    with translation.override(request.language):
        pack = pack or brief_build(request=request, user=user)
    printed = brief_render(pack=pack)
    with transaction.atomic():
        log = PrintLog(
            user=_log_user(user),
            document=request.document,
            language=request.language,
            parameters=request.to_json(),
            via=via,
            status=PrintLog.Status.DONE,
            completed_at=timezone.now(),
        )
        _write_log(log, pack=pack, printed=printed, meeting_ids=request.meeting_ids)
    return printed.document


@transaction.atomic
def brief_enqueue(*, request: BriefRequest, user, title: str = "") -> PrintLog:
    """Queue the document for the background worker and log it as queued.

    The worker stores the PDF with the log entry, where the user downloads it.
    """
    from reports.tasks import print_queued_brief

    _check_can_print(user)
    log = PrintLog.objects.create(
        user=_log_user(user),
        document=request.document,
        title=(title or request.document)[:300],
        language=request.language,
        parameters=request.to_json(),
        via=PrintLog.Via.BACKGROUND,
        status=PrintLog.Status.QUEUED,
    )
    if request.partner_ids:
        log.partners.set(request.partner_ids)
    if request.meeting_ids:
        log.meetings.set(request.meeting_ids)
    log_id = log.pk
    # Enqueue only once the log row is committed, or the worker may not see it.
    transaction.on_commit(lambda: _enqueue(print_queued_brief, log_id, log))
    return log


def _enqueue(task, log_id: int, log: PrintLog) -> None:
    result = task.enqueue(log_id)
    PrintLog.objects.filter(pk=log_id, task_id="").update(task_id=str(result.id)[:64])
    log.task_id = str(result.id)[:64]


def brief_run_queued(*, log_id: int) -> PrintLog:
    """Print a queued document and store the PDF with its log entry."""
    log = PrintLog.objects.select_related("user").get(pk=log_id)
    if log.status == PrintLog.Status.DONE:
        return log
    PrintLog.objects.filter(pk=log_id).update(status=PrintLog.Status.RUNNING)
    request = BriefRequest.from_json(log.parameters)
    user = log.user if log.user is not None else AnonymousUser()
    try:
        _check_can_print(log.user)
        with translation.override(request.language):
            pack = brief_build(request=request, user=user)
        printed = brief_render(pack=pack)
    except Exception as error:
        PrintLog.objects.filter(pk=log_id).update(
            status=PrintLog.Status.FAILED,
            error=str(error)[:2000],
            completed_at=timezone.now(),
        )
        raise
    with transaction.atomic():
        log.file.save(printed.filename, ContentFile(printed.content), save=False)
        log.status = PrintLog.Status.DONE
        log.completed_at = timezone.now()
        _write_log(log, pack=pack, printed=printed, meeting_ids=request.meeting_ids)
    return log
