"""Documents: checked files, the inline on record pages, downloads, confidentiality."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from documents.models import Document
from documents.services import document_check_file, documents_for
from reports.briefs.build import brief_build
from reports.briefs.data import BriefRequest
from tests.crm.test_concurrency import form_data
from tests.documents.mail_files import PDF, PNG, make_msg
from tests.factories import (
    EngagementFactory,
    MeetingFactory,
    PartnerFactory,
    PaymentFactory,
    PledgeFactory,
    document_of,
)

pytestmark = pytest.mark.django_db


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    return buffer.getvalue()


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("Agreement.PDF", PDF, "application/pdf"),
        ("photo.png", PNG, "image/png"),
        ("figures.xlsx", _xlsx(), "sheet"),
        ("letter.docx", _docx(), "wordprocessingml"),
        ("note.msg", make_msg(), "application/vnd.ms-outlook"),
        ("rows.csv", b"name;montant\nSuisse;1 000\n", "text/csv"),
    ],
)
def test_it_accepts_allowed_files_whose_bytes_match(name, data, mime):
    assert mime in document_check_file(name=name, data=data)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("setup.exe", b"MZ" + b"\0" * 100, "files of type “.exe” cannot be kept"),
        ("scan.pdf", PNG, "scan.pdf is not a .pdf file"),
        ("photo.png", PDF, "photo.png is not a .png file"),
        ("notes.txt", PNG, "notes.txt is not a .txt file"),
        ("letter.docx", _xlsx(), "letter.docx is not a .docx file"),
        ("old.doc", make_msg(), "old.doc is not a .doc file"),
        ("empty.pdf", b"", "empty.pdf is empty"),
    ],
)
def test_it_refuses_files_of_other_types_or_bytes(name, data, message):
    with pytest.raises(ValidationError, match=message.replace(".", r"\.")):
        document_check_file(name=name, data=data)


def test_it_refuses_a_file_over_the_size_limit_naming_the_setting(settings):
    settings.DOCUMENT_MAX_MB = 1

    with pytest.raises(ValidationError) as refused:
        document_check_file(name="big.pdf", data=PDF + b"0" * 2**20)

    assert refused.value.messages == [
        "big.pdf is 1.0 MB; documents may be at most 1 MB (setting DOCUMENT_MAX_MB)."
    ]


def test_a_document_of_a_confidential_engagement_is_confidential(desk):
    engagement = EngagementFactory(confidential=True)

    document = document_of(engagement)

    assert document.confidential
    assert documents_for(engagement, desk) == []


def test_documents_follow_an_engagement_made_confidential(desk):
    engagement = EngagementFactory()
    document = document_of(engagement)
    assert documents_for(engagement, desk) == [document]

    engagement.confidential = True
    engagement.save()

    document.refresh_from_db()
    assert document.confidential
    assert documents_for(engagement, desk) == []
    assert document.history.count() == 2


def test_documents_go_with_their_record():
    pledge = PledgeFactory()
    document_of(pledge)

    pledge.delete()

    assert not Document.objects.exists()


def _inline_prefix(data: dict) -> str:
    return next(k for k in data if k.endswith("TOTAL_FORMS") and "document" in k)[
        : -len("-TOTAL_FORMS")
    ]


def test_a_document_is_uploaded_on_the_meeting_page_and_downloaded(desk, client):
    meeting = MeetingFactory()
    client.force_login(desk)
    url = reverse("admin:reports_meeting_change", args=[meeting.pk])
    data: dict = form_data(client.get(url))
    prefix = _inline_prefix(data)
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-type": Document.Type.REPORT,
            f"{prefix}-0-date": "2026-03-02",
            f"{prefix}-0-description": "Mission report",
            f"{prefix}-0-file": SimpleUploadedFile("Report.pdf", PDF),
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    document = Document.objects.get()
    assert (document.record, document.filename, document.uploaded_by) == (
        meeting,
        "Report.pdf",
        desk,
    )
    assert document.mime_type == "application/pdf"
    page = client.get(url).content.decode()
    download = reverse("admin:documents_document_download", args=[document.pk])
    assert download in page
    assert document.file.name not in page  # never the storage path
    response = client.get(download)
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="Report.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"


def test_a_bad_file_on_the_inline_is_refused_and_nothing_changes(desk, client):
    meeting = MeetingFactory(title="Before")
    client.force_login(desk)
    url = reverse("admin:reports_meeting_change", args=[meeting.pk])
    data: dict = form_data(client.get(url))
    prefix = _inline_prefix(data)
    data.update(
        {
            "title": "After",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-type": Document.Type.REPORT,
            f"{prefix}-0-date": "2026-03-02",
            f"{prefix}-0-file": SimpleUploadedFile("Report.pdf", PNG),
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "Report.pdf is not a .pdf file" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.title == "Before"
    assert not Document.objects.exists()


def test_a_confidential_document_is_not_found_by_those_who_may_not_see_it(
    desk, trusted, client
):
    engagement = EngagementFactory(confidential=True, subject="Secret talks")
    secret = document_of(engagement, name="Secret-Qx7.pdf")
    open_doc = document_of(engagement.partners.get(), name="Open.pdf")
    download = reverse("admin:documents_document_download", args=[secret.pk])
    client.force_login(desk)

    assert client.get(download).status_code == 404
    listing = client.get(reverse("admin:documents_document_changelist"))
    assert "Secret-Qx7" not in listing.content.decode()
    assert "Open.pdf" in listing.content.decode()
    change = reverse("admin:documents_document_change", args=[secret.pk])
    assert client.get(change).status_code == 404
    history = reverse("admin:documents_document_history", args=[secret.pk])
    assert client.get(history).status_code == 404
    partner_page = client.get(
        reverse("admin:partners_partner_change", args=[open_doc.object_id])
    )
    assert "Secret-Qx7" not in partner_page.content.decode()
    client.force_login(trusted)
    assert client.get(download).status_code == 200


def test_a_user_without_the_document_permission_gets_404(client, roles):
    from tests.factories import UserFactory

    document = document_of(PartnerFactory())
    client.force_login(UserFactory(username="nobody", is_staff=True))

    response = client.get(
        reverse("admin:documents_document_download", args=[document.pk])
    )

    assert response.status_code == 404


def test_the_brief_lists_documents_of_the_partner_and_its_records(
    desk, trusted, django_assert_max_num_queries
):
    partner = PartnerFactory()
    pledge = PledgeFactory(partner=partner)
    document_of(
        pledge,
        type=Document.Type.AGREEMENT,
        date=__import__("datetime").date(2026, 3, 2),
        description="Contribution agreement",
    )
    document_of(PaymentFactory(pledge=pledge), name="receipt.png", data=PNG)
    document_of(partner, type=Document.Type.NOTE_VERBALE, name="nv.pdf")
    document_of(
        EngagementFactory(partners=[partner], confidential=True), name="secret.pdf"
    )
    request = BriefRequest.for_partners([partner.pk])
    brief_build(request=request, user=desk)  # warm the permission cache

    with django_assert_max_num_queries(30), translation.override("en"):
        pack = brief_build(request=request, user=desk)

    lines = [d.line for d in pack.briefs[0].documents]
    assert "Agreement signed 2026-03-02" in lines
    assert len(lines) == 3
    assert not pack.includes_confidential
    with translation.override("en"):
        pack = brief_build(request=request, user=trusted)
    assert len(pack.briefs[0].documents) == 4
    assert pack.includes_confidential


def test_a_merge_moves_documents_to_the_survivor_and_undo_puts_them_back(desk):
    from partners.merge import merge_undo, partner_merge

    survivor, duplicate = PartnerFactory(), PartnerFactory()
    document = document_of(duplicate, name="Agreement.pdf")

    log = partner_merge(survivor=survivor, others=[duplicate], user=desk)

    document.refresh_from_db()
    assert document.record == survivor
    merge_undo(log=log, user=desk)
    document.refresh_from_db()
    assert document.object_id == duplicate.pk
    assert document.record.name == duplicate.name
