"""E-mail files (.eml, .msg) recorded as engagements, from the service and the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.email_import import DuplicateEmail, email_record
from documents.models import Document, RecordedEmail
from partners.models import Engagement
from tests.documents.mail_files import PDF, make_eml, make_msg
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

RECORD_URL = "admin:documents_document_record_email"


def test_an_eml_lands_as_an_email_engagement_with_contacts_staff_and_attachments(
    desk, mission
):
    data = make_eml(cc="Someone New <new.person@elsewhere.example>")

    result = email_record(data=data, name="agreement.eml", user=desk)

    engagement = result.engagement
    assert engagement.kind == Engagement.Kind.EMAIL
    assert engagement.subject == "Contribution agreement 2026"
    assert "please find the signed agreement attached" in engagement.summary
    # Sent 23:30 UTC on 2 March: already 3 March in Geneva.
    assert engagement.date == dt.date(2026, 3, 3)
    assert list(engagement.partners.all()) == [mission["partner"]]
    assert list(engagement.contacts.all()) == [mission["ana"]]
    assert list(engagement.staff.all()) == [desk]
    assert [str(a) for a in result.unknown] == [
        "Someone New <new.person@elsewhere.example>"
    ]
    recorded = RecordedEmail.objects.get(engagement=engagement)
    assert recorded.message_id == "<agreement-2026@mission.example>"
    assert recorded.sent_at == dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC)
    documents = {d.filename: d for d in Document.objects.of(engagement)}
    assert set(documents) == {"agreement.eml", "Agreement.pdf"}
    assert documents["Agreement.pdf"].type == Document.Type.ATTACHMENT
    assert documents["Agreement.pdf"].file.read() == PDF
    assert documents["agreement.eml"].type == Document.Type.EMAIL


def test_an_outlook_msg_lands_the_same_way(desk, mission):
    result = email_record(data=make_msg(), name="note.msg", user=desk)

    engagement = result.engagement
    assert engagement.kind == Engagement.Kind.EMAIL
    assert engagement.subject == "Note verbale on the 2026 contribution"
    assert engagement.summary == "The Permanent Mission presents its compliments."
    assert engagement.date == dt.date(2026, 3, 2)
    assert list(engagement.contacts.all()) == [mission["ana"]]
    assert list(engagement.staff.all()) == [desk]
    assert result.kept_attachments == 1
    assert sorted(d.filename for d in Document.objects.of(engagement)) == [
        "Note verbale.pdf",
        "note.msg",
    ]


def test_an_html_only_body_becomes_text(desk, mission):
    html = "<html><head><style>p{}</style></head><body><p>Dear colleagues,</p>"
    html += "<p>the <b>agreement</b> is signed.</p><script>x()</script></body></html>"

    result = email_record(data=make_eml(html=html), name="a.eml", user=desk)

    assert result.engagement.summary == "Dear colleagues,\n\nthe agreement is signed."


def test_the_same_message_twice_is_refused_with_a_link_to_the_first(desk, mission):
    first = email_record(data=make_eml(), name="a.eml", user=desk).engagement

    with pytest.raises(DuplicateEmail, match="already recorded as") as refused:
        email_record(data=make_eml(attachments=()), name="again.eml", user=desk)

    assert refused.value.engagement == first
    assert Engagement.objects.count() == 1


def test_a_confidential_duplicate_is_refused_without_saying_what_it_is(
    desk, trusted, mission, client
):
    email_record(data=make_eml(), name="a.eml", user=trusted, confidential=True)
    client.force_login(desk)

    response = client.post(
        reverse(RECORD_URL),
        {"file": SimpleUploadedFile("a.eml", make_eml())},
    )

    text = response.content.decode()
    assert "This e-mail is already recorded." in text
    assert "Contribution agreement" not in text
    assert reverse("admin:partners_engagement_changelist") + "1" not in text
    assert Engagement.objects.count() == 1


def test_an_email_of_no_known_partner_is_refused_from_the_engagement_form(desk):
    with pytest.raises(ValidationError, match="none of its addresses"):
        email_record(data=make_eml(), name="a.eml", user=desk)

    assert not Engagement.objects.exists()
    assert not Document.objects.exists()


def test_from_a_partner_page_the_partner_is_given(desk):
    partner = PartnerFactory(name="Fondation Example")

    result = email_record(data=make_eml(), name="a.eml", user=desk, partner=partner)

    assert list(result.engagement.partners.all()) == [partner]


def test_an_attachment_of_a_refused_type_is_listed_and_the_rest_kept(desk, mission):
    data = make_eml(
        attachments=(
            ("Agreement.pdf", PDF, "application/pdf"),
            ("setup.exe", b"MZ\x90\x00" * 50, "application/octet-stream"),
        )
    )

    result = email_record(data=data, name="a.eml", user=desk)

    assert result.kept_attachments == 1
    assert len(result.refused_attachments) == 1
    assert "setup.exe" in result.refused_attachments[0]


def test_a_file_that_is_not_an_email_is_refused(desk, mission):
    with pytest.raises(ValidationError, match=r"report\.eml is not a \.eml file"):
        email_record(data=PDF, name="report.eml", user=desk)
    with pytest.raises(ValidationError, match=r"only \.eml and \.msg"):
        email_record(data=PDF, name="report.pdf", user=desk)


def test_the_upload_page_records_and_lists_addresses_to_add(desk, mission, client):
    client.force_login(desk)
    data = make_eml(cc="Someone New <new.person@elsewhere.example>")

    response = client.post(
        reverse(RECORD_URL),
        {"file": SimpleUploadedFile("a.eml", data), "partner": mission["partner"].pk},
        follow=True,
    )

    engagement = Engagement.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "admin:partners_engagement_change", args=[engagement.pk]
    )
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "The e-mail is recorded as" in text
    assert "1 attachment kept as a document." in text
    add = reverse("admin:partners_contact_add")
    assert f"{add}?email=new.person%40elsewhere.example" in text
    assert (
        "last_name=New&amp;first_name=Someone" in text or "first_name=Someone" in text
    )


def test_a_duplicate_on_the_upload_page_links_the_first_record(desk, mission, client):
    first = email_record(data=make_eml(), name="a.eml", user=desk).engagement
    client.force_login(desk)

    response = client.post(
        reverse(RECORD_URL), {"file": SimpleUploadedFile("a.eml", make_eml())}
    )

    assert "already recorded as" in response.content.decode()
    assert (
        reverse("admin:partners_engagement_change", args=[first.pk])
        in response.content.decode()
    )


def test_the_partner_page_and_the_engagement_form_offer_the_upload(
    desk, viewer, mission, client
):
    client.force_login(desk)
    partner_page = client.get(
        reverse("admin:partners_partner_change", args=[mission["partner"].pk])
    )
    add_page = client.get(reverse("admin:partners_engagement_add"))
    for response in (partner_page, add_page):
        text = response.content.decode()
        assert 'action="' + reverse(RECORD_URL) in text
        assert "documents/email_drop.js" in text
    client.force_login(viewer)
    partner_page = client.get(
        reverse("admin:partners_partner_change", args=[mission["partner"].pk])
    )
    assert reverse(RECORD_URL) not in partner_page.content.decode()
    assert client.get(reverse(RECORD_URL)).status_code == 403


def test_a_file_over_the_limit_is_refused_before_it_is_read(
    desk, mission, client, settings
):
    settings.DOCUMENT_MAX_MB = 1
    client.force_login(desk)
    big = make_eml(body="x" * (2 * 2**20))

    response = client.post(
        reverse(RECORD_URL), {"file": SimpleUploadedFile("big.eml", big)}
    )

    assert "at most 1 MB (setting DOCUMENT_MAX_MB)" in response.content.decode()
    assert not Engagement.objects.exists()
